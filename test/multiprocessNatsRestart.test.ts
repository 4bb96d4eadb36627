import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportRunToFile } from "../shared/log/jetstreamExport.ts";
import { embeddedDigest, runUp } from "./multiprocessHarness.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

describe("a NATS server restarted in the middle of a multi-process run", () => {
  it("loses and duplicates nothing: clients reconnect, requests and JetStream publishes are retried, and the log is the embedded run's", async () => {
    // given the probe scenario under `tyrsim up`, its log going to JetStream
    const seed = 7811;
    let restarted: Promise<void> | undefined;
    // when the server is stopped and started again (same port, same store) as event #90 is delivered
    const r = await runUp({
      natsUrl: nats().url,
      scenario: "scenarios/probe.yaml",
      seed,
      onDelivered: (e) => {
        if (e.seq === 90) restarted = nats().restart();
      },
    });
    await restarted;
    // then the run completed with no service restarted, waiting while the server was away
    expect(r.error, r.lines.join("\n")).toBeUndefined();
    expect(restarted).toBeDefined();
    expect([...r.restarts.values()].every((n) => n === 0)).toBe(true);
    // and its log equals the embedded runtime's for the same scenario and seed
    const embedded = await embeddedDigest("scenarios/probe.yaml", seed);
    expect(r.summary?.digest).toBe(embedded.digest);
    // and JetStream holds every event exactly once: exported, it is the same file
    const exported = join(mkdtempSync(join(tmpdir(), "tyrsim-export-")), "events.jsonl");
    const out = await exportRunToFile(nats().url, `probe-${seed}`, exported);
    expect(out.events).toBe(embedded.events);
    expect(readFileSync(exported)).toEqual(readFileSync(embedded.log));
  }, 240_000);
});
