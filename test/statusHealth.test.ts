import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { connectNatsTransport } from "../shared/bus/natsTransport.ts";
import { ctlSubjects, LevelReplySchema, RunStatusSchema, type RunStatus } from "../runtime/multiprocess/protocol.ts";
import { formatStatus } from "../cli/commands/statusCommand.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

/** A short power-cycle scenario (a few thousand events) in a temporary folder. */
function shortCycle(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "tyrsim-status-")), `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      "duration: 20ms",
      "steps:",
      "  - { at: 0us, every: 100us, count: 200, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }",
      "  - { at: 60us, every: 100us, count: 200, type: PowerOffRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }",
      "",
    ].join("\n"),
  );
  return file;
}

const decoder = new TextDecoder();

describe("tyrsim status", () => {
  it("shows a live run's services, virtual time and events from the coordinator's reports, until it finishes", async () => {
    // given a multi-process run under way
    const up = spawn(process.execPath, ["bin/tyrsim.mjs", "up", shortCycle("status-cycle"), "--seed", "8821", "--nats", nats().url, "--out", mkdtempSync(join(tmpdir(), "tyrsim-status-run-")), "--no-jetstream", "--json"], {
      env: { ...process.env, CI: "1" },
    });
    let upOut = "";
    up.stdout.on("data", (d: Buffer) => (upOut += d.toString()));
    const upExited = new Promise<number | null>((r) => up.once("exit", (code) => r(code)));
    // when `tyrsim status --watch --json` follows it
    const status = spawn(process.execPath, ["bin/tyrsim.mjs", "status", "--nats", nats().url, "--run", "status-cycle-8821", "--watch", "--json", "--timeout", "60000"], { env: { ...process.env, CI: "1" } });
    let statusOut = "";
    status.stdout.on("data", (d: Buffer) => (statusOut += d.toString()));
    const statusExited = new Promise<number | null>((r) => status.once("exit", (code) => r(code)));
    expect(await upExited).toBe(0);
    expect(await statusExited).toBe(0);
    // then it printed reports: gathering, and at the end `finished` with the run's virtual time and every event logged
    const reports = statusOut.trim().split("\n").map((l) => RunStatusSchema.parse(JSON.parse(l)));
    const last = reports.at(-1) as RunStatus;
    const summary = JSON.parse(upOut) as { events: number; endTimeNs?: number };
    expect(last.phase).toBe("finished");
    expect(last.run).toBe("status-cycle-8821");
    expect(last.eventsLogged).toBe(summary.events);
    expect(last.virtualTimeNs).toBe(20_000_000);
    expect(last.waitingFor).toEqual([]);
    // every service said it was ready, and the coordinator waited for the missing ones while gathering
    expect(last.services.map((s) => s.state)).toEqual(last.services.map(() => "ready"));
    expect(last.services.map((s) => s.service)).toContain("power");
    for (const r of reports.filter((x) => x.phase === "gathering")) expect(r.waitingFor.length).toBeGreaterThan(0);
  }, 180_000);

  it("prints a report as a person reads it: one line per service with its state and since when", () => {
    const text = formatStatus({ run: "probe-1", phase: "running", virtualTimeNs: 1_234_567, eventsLogged: 42, eventsPerSecond: 900, waitingFor: ["mmu"], services: [{ service: "memory", state: "ready", sinceMs: 1000 }, { service: "mmu", state: "silent", sinceMs: 4000 }], atMs: 5500 });
    expect(text.split("\n")).toEqual([
      "run:          probe-1 (running)",
      "virtual time: 1.235 ms (1234567 ns)",
      "events:       42 logged, 900 events/s",
      "waiting for:  mmu",
      "services:",
      "  memory       ready    since 4.5 s ago",
      "  mmu          silent   since 1.5 s ago",
      "",
    ]);
  });

  it("says plainly when no run reports", () => {
    const r = spawnSync(process.execPath, ["bin/tyrsim.mjs", "status", "--nats", nats().url, "--run", "nobody-1", "--timeout", "1500"], { encoding: "utf8", env: { ...process.env, CI: "1" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no status report on tyrsim.nobody-1.ctl.status");
  }, 30_000);
});

describe("a service process on SIGTERM", () => {
  it("says it is draining, answers the level request it already received, flushes and exits 0", async () => {
    // given a real memory service process, welcomed by a stand-in coordinator
    const scenario = shortCycle("drain-cycle");
    const ctl = ctlSubjects("drain-cycle-8822");
    const coordinator = await connectNatsTransport({ servers: nats().url, name: "tyrsim-test-drain", waitOnFirstConnect: false });
    const health: string[] = [];
    coordinator.subscribe(ctl.health).subscribe((m) => health.push((JSON.parse(decoder.decode(m.data as Uint8Array)) as { state: string }).state));
    const joined = new Promise<void>((resolve) => coordinator.subscribe(ctl.hello).subscribe((m) => (m.respond(JSON.stringify({ ok: true })), resolve())));
    await coordinator.flush();
    const svc = spawn(process.execPath, ["bin/run-ts.mjs", "services/memory/main.ts"], {
      env: { ...process.env, CI: "1", TYRSIM_NATS_URL: nats().url, TYRSIM_SCENARIO: resolve(scenario), TYRSIM_SEED: "8822", TYRSIM_SERVICE_NAME: "memory" },
    });
    let log = "";
    svc.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => svc.once("exit", (code) => r(code)));
    await joined;
    while (!health.includes("ready")) await new Promise((r) => setTimeout(r, 50));
    // when a level request is on its way and SIGTERM follows at once
    const reply = coordinator.request(ctl.service("memory"), JSON.stringify({ round: 1, level: { timeNs: 0, depth: 0 }, events: [], stopBefore: null }), { timeoutMs: 10_000 });
    await coordinator.flush();
    svc.kill("SIGTERM");
    // then the request is answered, the process exits 0, and it said draining before it went
    const answer = LevelReplySchema.parse(JSON.parse(decoder.decode((await reply).data as Uint8Array)));
    expect(answer).toEqual({ drafts: [], nextTimer: null });
    expect(await exited, log).toBe(0);
    await coordinator.flush();
    expect(health).toEqual(["ready", "draining"]);
    expect(log).toContain("memory: SIGTERM: draining");
    expect(log).toContain("memory: drained");
    await coordinator.close();
  }, 60_000);
});
