import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { headerOf, runEmbedded, runIdOf } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { Coordinator } from "../runtime/multiprocess/coordinator.ts";
import { inProcessServices } from "../runtime/multiprocess/inProcessServices.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const SCENARIO = "scenarios/message-faults.yaml";

function readLog(path: string): Envelope[] {
  return readFileSync(path, "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as Envelope);
}

describe("message faults, applied by the runtime's routing", () => {
  it("postpone the next matching event by the delay and drop the next lost one, with the records on the log, and replay reproduces it", async () => {
    // given the probe with a 100 µs delay on gpu0.pwr.state and one loss on gpu0.mmio.read
    const r = await runEmbedded({ loaded: loadScenarioFile(SCENARIO, createCatalogue()), seed: 1, outDir: mkdtempSync(join(tmpdir(), "tyrsim-mf-")) });
    const log = readLog(r.log);
    // then the first ClockStateChanged is recorded as delayed, and delivered 100 µs after it was published
    const delayed = log.find((e) => e.type === "MessageDelayed")!.payload as { id: string; deliverAtNs: number; delayNs: number };
    const late = log.find((e) => e.id === delayed.id)!;
    expect(late.type).toBe("ClockStateChanged");
    expect(late.timeNs).toBe(delayed.deliverAtNs);
    expect(delayed.deliverAtNs).toBe(10_000 + 100_000);
    // and the lost register-read answer is recorded, never delivered, so the probe never finishes
    const dropped = log.find((e) => e.type === "MessageDropped")!.payload as { id: string; type: string };
    expect(dropped.type).toBe("MmioReadCompleted");
    expect(log.some((e) => e.id === dropped.id)).toBe(false);
    expect(log.some((e) => e.type === "DrmDeviceRegistered")).toBe(false);
    expect(log.filter((e) => e.type === "FaultApplied").map((e) => (e.payload as { kind: string }).kind)).toEqual(["message-delay", "message-loss"]);
    // and replaying the log makes the same decisions at the same places
    const replay = await replayLog(r.log);
    expect(replay.match).toBe(true);
  });

  it("are applied by the coordinator exactly as by the embedded runtime (same log, byte for byte)", async () => {
    // given the scenario over in-process services, one per actor kind
    const loaded = loadScenarioFile(SCENARIO, createCatalogue());
    const run = runIdOf(loaded.scenario, 2);
    const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-mf-")), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, 2));
    const coordinator = new Coordinator({ run, sink, services: inProcessServices(run, 2, loaded.scenario) });
    coordinator.queueSteps(loaded.scenario);
    // when the coordinator runs it
    await coordinator.run(loaded.scenario.duration);
    await sink.close();
    // then its log is the embedded runtime's
    const embedded = await runEmbedded({ loaded, seed: 2, outDir: mkdtempSync(join(tmpdir(), "tyrsim-mf-")) });
    expect(sink.digest.hex()).toBe(embedded.digest);
  });
});

describe("service-died", () => {
  it("is rejected by the embedded runtime, saying it needs the multi-process runtime", async () => {
    const r = await runEmbedded({ loaded: loadScenarioFile(SCENARIO, createCatalogue()), seed: 3, outDir: mkdtempSync(join(tmpdir(), "tyrsim-mf-")) });
    const rejected = readLog(r.log).filter((e) => e.type === "FaultRejected").map((e) => e.payload as { kind: string; reason: string });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.kind).toBe("service-died");
    expect(rejected[0]?.reason).toMatch(/needs the multi-process runtime \(tyrsim up\)/);
  });
});

const nats = privateNatsServer();

/** Run the CLI; resolve with its exit code and output. */
function tyrsim(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/tyrsim.mjs", ...args], { env: { ...process.env, CI: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The probe with a service-died fault for `service` at 600 µs (after the probe, as the last step, so the other inputs keep their ids). */
function probeKilling(service: string): string {
  const text = readFileSync("scenarios/probe.yaml", "utf8") + `  - { at: 600us, type: FaultInjected, path: fault.inject, payload: { fault: { kind: service-died, service: ${service} } } }\n`;
  const path = join(mkdtempSync(join(tmpdir(), "tyrsim-died-")), "probe.yaml");
  writeFileSync(path, text);
  return path;
}

/** What a log did, leaving out the fault's own records and log positions: ids, types, times and payloads. */
function behaviour(events: readonly Envelope[]): string[] {
  const own = new Set(["FaultInjected", "FaultApplied", "ServiceRestarted"]);
  return events.filter((e) => !own.has(e.type) && e.type !== "RunEnded").map((e) => `${e.id} ${e.type} ${e.timeNs} ${JSON.stringify(e.payload)}`);
}

describe("service-died under tyrsim up", () => {
  it("kills the service at that instant; it restarts, rebuilds from the log, and the log records the fault and the restart and is otherwise the undisturbed run's", async () => {
    // given the probe with the driver's service killed at 600 µs (between two regulator ramps)
    const out = mkdtempSync(join(tmpdir(), "tyrsim-up-"));
    // when `tyrsim up` runs it
    const up = await tyrsim(["up", probeKilling("driver"), "--seed", "7821", "--out", out, "--nats", nats().url, "--json"]);
    expect(up.code, up.stderr).toBe(0);
    const log = readLog(join(out, "events.jsonl"));
    // then the fault was applied at 600 µs, the driver process killed and restarted
    const applied = log.find((e) => e.type === "FaultApplied")!;
    expect(applied.timeNs).toBe(600_000);
    expect(applied.payload).toMatchObject({ kind: "service-died", detail: "killed service driver" });
    expect(up.stderr).toMatch(/driver killed by SIGKILL; restarting it/);
    // and its return is on the log, in the same instant, with how much of the log it rebuilt from
    const restarted = log.find((e) => e.type === "ServiceRestarted")!;
    expect(restarted.timeNs).toBe(600_000);
    expect(restarted.payload).toMatchObject({ service: "driver", fault: applied.cause });
    expect((restarted.payload as { rebuiltFromEvents: number }).rebuiltFromEvents).toBeGreaterThan(0);
    // and everything else is what the undisturbed run does
    const plain = await runEmbedded({ loaded: loadScenarioFile("scenarios/probe.yaml", createCatalogue()), seed: 7821, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    expect(behaviour(log)).toEqual(behaviour(readLog(plain.log)));
  }, 240_000);

  it("ends `tyrsim up` with exit 1 and says whom it waited for when the killed service is not restarted", async () => {
    // given restarts turned off and a 3 s grace period
    const up = await tyrsim(["up", probeKilling("mmu"), "--seed", "7822", "--out", mkdtempSync(join(tmpdir(), "tyrsim-up-")), "--nats", nats().url, "--restart", "no", "--grace", "3"]);
    // then it gives up instead of hanging, naming the service and the virtual time it holds up
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/mmu killed by SIGKILL; not restarted \(restart: no\)/);
    expect(up.stderr).toMatch(/waiting for service mmu since \d+\.\d s/);
    expect(up.stderr).toMatch(/virtual time stopped at 600000 ns: waited \d+\.\d s for service mmu/);
  }, 240_000);
});
