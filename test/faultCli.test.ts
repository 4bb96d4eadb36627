import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpSimulation } from "../runtime/embeddedRun.ts";
import { connectNatsTransport } from "../shared/bus/natsTransport.ts";
import { MemoryLogSink } from "../shared/log/jsonlSink.ts";
import { useTestNatsServer, type TestNatsServer } from "../shared/process/natsServer.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import type { AuditReport } from "../runtime/audit/auditReport.ts";
import type { FaultListing } from "../cli/commands/faultsCommand.ts";
import { editLog, runLogged } from "./support/auditRuns.ts";

const env = { ...process.env, CI: "1" };
const tyrsim = (...args: string[]) => spawnSync(process.execPath, ["bin/tyrsim.mjs", ...args], { encoding: "utf8", env });
const tyrsimAsync = (...args: string[]) => promisify(execFile)(process.execPath, ["bin/tyrsim.mjs", ...args], { encoding: "utf8", env });

describe("tyrsim faults", () => {
  it("lists every kind with what it does, its fields from the schema and its triggers, none of them pending", () => {
    const r = tyrsim("faults", "--json");
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as FaultListing[];
    expect(rows.map((x) => x.kind)).toContain("mmu-fault");
    const mmu = rows.find((x) => x.kind === "mmu-fault")!;
    expect(mmu.fields.map((f) => [f.name, f.required])).toEqual([["gpu", false], ["fault", true], ["va", false], ["access", false], ["job", false]]);
    expect(mmu.triggers).toEqual(["JobDispatched"]);
    expect(rows.filter((x) => x.status === "pending").map((x) => x.kind)).toEqual([]);
    expect(rows.find((x) => x.kind === "message-delay")?.fields.map((f) => f.name)).toEqual(["subject", "delayNs", "count"]);
    expect(tyrsim("faults").stdout).toMatch(/irq-lost +— applied by gpu<N>\.regs/);
  });
});

describe("tyrsim inject", () => {
  it("builds a FaultInjected from a kind, key=value fields and a trigger, validated as the runtime would", () => {
    const r = tyrsim("inject", "job-hang", "job=j3", "--on", "JobDispatched", "--count", "3", "--match", "as=2", "--at", "5ms", "--dry-run");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      type: "FaultInjected", atNs: 5_000_000,
      payload: { fault: { kind: "job-hang", gpu: 0, job: "j3" }, trigger: { on: { eventType: "JobDispatched", count: 3, match: { as: 2 } } } },
    });
  });

  it("prints the rejection reason and exits 2 for an unknown kind, a bad field or a trigger the applier cannot see", () => {
    const unknown = tyrsim("inject", "gpu-on-fire", "--dry-run");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/rejected: payload\.fault\.kind: .*job-hang/);
    expect(tyrsim("inject", "irq-lost", "line=nmi", "--dry-run").stderr).toMatch(/payload\.fault\.line/);
    expect(tyrsim("inject", '{"kind":"job-hang"}', "--on", "DoorbellRung", "--dry-run").stderr).toMatch(/can count only JobDispatched/);
  });

  describe("against a live run on NATS", () => {
    let nats: TestNatsServer;
    beforeAll(async () => {
      nats = await useTestNatsServer();
    });
    afterAll(async () => {
      await nats.dispose();
    });

    it("publishes on the run's fault.inject subject, and the run applies the fault", async () => {
      // given a run listening for inputs on NATS
      const run = `inject-cli-${process.pid}`;
      const text = [`name: ${run}`, "duration: 2ms"].join("\n");
      const registry = createCatalogue();
      const transport = await connectNatsTransport({ servers: nats.url, name: "tyrsim-test-inject-cli", waitOnFirstConnect: false });
      const sink = new MemoryLogSink();
      const sim = setUpSimulation({ loaded: { file: "x.yaml", text, scenario: parseScenario(text, "x.yaml", registry) }, seed: 1, sink, external: transport, acceptInputs: true });
      // when `tyrsim inject` publishes a memory-pressure fault for it
      const r = await tyrsimAsync("inject", "memory-pressure", "bytes=0x100000", "--nats", nats.url, "--run", sim.runId, "--at", "1ms");
      expect(r.stdout).toMatch(new RegExp(`published FaultInjected on tyrsim\\.${sim.runId}\\.fault\\.inject`));
      for (let i = 0; i < 300 && sim.scheduler.pending === 0; i++) await new Promise((res) => setTimeout(res, 10));
      sim.run({ untilNs: 2_000_000 });
      await sim.close();
      await transport.close();
      // then the run logged it from the injector and the memory replica applied it at 1 ms
      expect(sink.events.find((e) => e.type === "FaultInjected")).toMatchObject({ source: "injector", timeNs: 1_000_000 });
      expect(sink.events.find((e) => e.type === "MemoryPressureApplied")?.payload).toMatchObject({ bytes: 0x100000 });
    });
  });
});

describe("tyrsim audit", () => {
  it("names the injected fault as the most likely cause, in text and in JSON, and exits 0 when no invariant broke", async () => {
    const { log } = await runLogged({ file: "scenarios/mmu-fault.yaml" });
    const text = tyrsim("audit", log);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/verdict: 4 failures, 0 broken invariants; most likely cause: mmu-fault fault scenario:\d+ \(“unmapped read by the 2nd job of AS1”\)/);
    expect(text.stdout).toMatch(/chain: +#\d+ FaultInjected → #\d+ FaultApplied → #\d+ TranslationRequested → #\d+ AsFaultRaised/);
    const json = JSON.parse(tyrsim("audit", log, "--json").stdout) as AuditReport;
    expect(json.verdict.likelyCause?.kind).toBe("mmu-fault");
    expect(json.recovery).toHaveLength(2);
  });

  it("reports a clean run as clean, and exits 1 on a log where an invariant broke", async () => {
    const { log } = await runLogged({ file: "scenarios/boot.yaml" });
    const clean = tyrsim("audit", log);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/verdict: clean: no failure, no broken invariant/);
    // a hand-added MCU_STATUS change from DISABLED straight to FATAL at the end of the log (no firmware runs in boot.yaml)
    const broken = editLog(log, (es) => {
      const last = es.at(-1)!;
      return [...es, { ...last, seq: es.length, id: "gpu0.regs:9999", source: "gpu0.regs", subject: `tyrsim.${last.run}.gpu0.mcu.status`, type: "McuStatusChanged", cause: null, payload: { status: 3 } }];
    });
    const r = tyrsim("audit", broken);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ mcu-status-transitions gpu0 .*DISABLED → FATAL/);
  });
});
