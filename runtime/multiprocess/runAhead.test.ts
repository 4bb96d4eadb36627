import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { subjectOf } from "../../shared/events/subjects.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { buildServicePartitions } from "./inProcessServices.ts";
import { runAhead } from "./runAhead.ts";
import { batchReplyText } from "./serviceHostLink.ts";
import { parseLevelBatchReplyText } from "./replyCheck.ts";

/** GPU 0 of the probe scenario in a whole-GPU host, and its bind request as the one queued event. */
function probeGpu() {
  const loaded = loadScenarioFile(join("scenarios", "probe.yaml"), createCatalogue());
  const run = "probe-3";
  const { partitions, placeFor } = buildServicePartitions(run, 3, loaded.scenario, "gpu", new Set([0]));
  const bind: Draft = { id: "scenario:0", timeNs: 10_000, depth: 0, source: "scenario", n: 0, subject: subjectOf(run, "drv0.bind"), type: "DeviceBindRequested", cause: null, payload: {} };
  return { run, host: (partitions[0] as (typeof partitions)[number]).host, place: placeFor(0), bind };
}

describe("running a whole GPU ahead", () => {
  it("runs the GPU's levels on its own up to the bound and hands back what lies beyond", () => {
    // given GPU 0 bound at 10 µs
    const { run, host, place, bind } = probeGpu();
    // when it runs ahead until 2 ms
    const r = runAhead(host, run, [bind], null, 2_000_000, 0, place);
    // then it probed on its own: many levels, canonical order within the GPU, provisional seqs from 0
    expect(r.delivered.length).toBeGreaterThan(100);
    expect(r.delivered[0]?.id).toBe("scenario:0");
    expect(r.delivered.map((e) => e.seq)).toEqual(r.delivered.map((_, i) => i));
    for (let i = 1; i < r.delivered.length; i++) {
      const a = r.delivered[i - 1] as { timeNs: number; depth: number };
      const b = r.delivered[i] as { timeNs: number; depth: number };
      expect(a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.depth <= b.depth)).toBe(true);
    }
    expect(r.reached?.timeNs).toBeLessThanOrEqual(2_000_000);
    expect(r.left.every((d) => d.timeNs > 2_000_000 || (r.reached !== null && d.timeNs >= r.reached.timeNs))).toBe(true);
  });

  it("stops at a level boundary when its reply grows past the byte budget, and going on from there gives the same events", () => {
    // given the same GPU twice
    const whole = probeGpu();
    const chunked = probeGpu();
    // when one runs in one go and the other in small chunks, each continuing from what the last left
    const one = runAhead(whole.host, whole.run, [whole.bind], null, 2_000_000, 0, whole.place);
    const ids: string[] = [];
    let left: Draft[] = [chunked.bind];
    let chunks = 0;
    for (;;) {
      const r = runAhead(chunked.host, chunked.run, left, null, 2_000_000, ids.length, chunked.place, 4096);
      if (r.delivered.length === 0) break;
      ids.push(...r.delivered.map((e) => e.id));
      left = r.left;
      chunks++;
    }
    // then it took several replies, and delivered exactly the same events in the same order
    expect(chunks).toBeGreaterThan(3);
    expect(ids).toEqual(one.delivered.map((e) => e.id));
  });

  it("writes its reply with the lines it measured, the very text JSON.stringify gives, and keeps each reply within the byte budget", () => {
    // given GPU 0 bound at 10 µs
    const { run, host, place, bind } = probeGpu();
    // when it runs ahead with an 8 KiB budget
    const r = runAhead(host, run, [bind], null, 2_000_000, 0, place, 8192);
    // then each delivered event's line was kept, and they fill the budget by at most the last level's events
    expect(r.lines?.length).toBe(r.delivered.length);
    const bytes = (r.lines ?? []).reduce((n, l) => n + l.length + 1, 0);
    expect(bytes).toBeGreaterThanOrEqual(8192);
    const lastLevel = r.delivered.filter((e) => e.timeNs === r.reached?.timeNs && e.depth === r.reached?.depth);
    expect(bytes - lastLevel.reduce((n, e) => n + JSON.stringify(e).length + 1, 0)).toBeLessThan(8192);
    // and the batch reply is what stringifying the reply gives, but for a newline around each
    // delivered event's line and the mark saying so — from which the coordinator takes the lines back
    const { lines: _lines, delivered, ...rest } = r;
    const text = batchReplyText([], [r]);
    expect(text.replaceAll("\n", "")).toBe(JSON.stringify({ replies: [], ahead: [{ delivered, canonicalLines: true, ...rest }] }));
    const received = parseLevelBatchReplyText(text);
    expect(received.ahead?.[0]?.lines).toEqual(r.lines);
    expect(received.ahead?.[0]?.delivered).toEqual(delivered);
  });
});
