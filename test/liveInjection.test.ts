import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectNatsTransport } from "../shared/bus/natsTransport.ts";
import { replayLog } from "../runtime/replay.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

/** Run the CLI in the background and collect its output. */
function background(args: string[]) {
  const child = spawn(process.execPath, ["bin/tyrsim.mjs", ...args], { env: { ...process.env, CI: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { done, out: () => stdout, err: () => stderr };
}

describe("faults injected into a live run", () => {
  it("take effect at the run's next instant, are logged from 'injector', and replay reproduces the run", async () => {
    // given a long live run mirrored on NATS (a seed no other test uses)
    const seed = 7702;
    const run = `power-cycle-${seed}`;
    const out = mkdtempSync(join(tmpdir(), "tyrsim-live-"));
    const client = await connectNatsTransport({ servers: nats().url, name: "tyrsim-test-live", waitOnFirstConnect: false });
    const firstEvent = new Promise<void>((resolve) => {
      const sub = client.subscribe(`tyrsim.${run}.gpu0.pwr.state`).subscribe(() => {
        sub.unsubscribe();
        resolve();
      });
    });
    const cli = background(["run", "scenarios/power-cycle.yaml", "--seed", String(seed), "--out", out, "--nats", nats().url, "--no-trace", "--json"]);
    // when, once the run is under way, a client publishes a malformed fault and a valid one
    await firstEvent;
    client.publish(`tyrsim.${run}.fault.inject`, JSON.stringify({ type: "FaultInjected", payload: { fault: { kind: "dvfs-stuck", gpu: 0, colour: "red" } } }));
    client.publish(`tyrsim.${run}.fault.inject`, JSON.stringify({ type: "FaultInjected", payload: { fault: { kind: "dvfs-stuck", gpu: 0 } } }));
    await client.flush();
    expect(await cli.done, cli.err()).toBe(0);
    await client.close();
    // then the log holds the rejection, the injected fault from 'injector' and its application
    const events = readFileSync(join(out, "events.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { source: string; type: string; timeNs: number; payload: Record<string, unknown> });
    const rejected = events.find((e) => e.type === "MessageRejected");
    expect(rejected).toMatchObject({ source: "injector", payload: { subject: `tyrsim.${run}.fault.inject` } });
    const injected = events.find((e) => e.source === "injector" && e.type !== "MessageRejected");
    expect(injected?.type).toBe("FaultInjected");
    expect(injected!.timeNs).toBeGreaterThan(0);
    expect(events.some((e) => e.type === "FaultApplied" && e.timeNs >= injected!.timeNs)).toBe(true);
    // and replaying the log re-feeds the input at the same place: identical
    const replay = await replayLog(join(out, "events.jsonl"));
    expect(replay.divergence).toBeUndefined();
    expect(replay.events).toBe(events.length);
    expect(replay.comparedBy).toBe("bytes");
  }, 120_000);
});
