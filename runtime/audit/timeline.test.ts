import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { TimelineBuilder } from "./timeline.ts";

/** A power change of L2 on gpu0 at `timeNs`, as the power controller logs it. */
const l2 = (n: number, timeNs: number, ready: number, trans = 0): Envelope => ({
  id: `gpu0.pwr:${n}`, run: "t-1", seq: n, timeNs, depth: 0, source: "gpu0.pwr", subject: "tyrsim.t-1.gpu0.pwr.state", type: "PowerDomainChanged", cause: null,
  payload: { domain: "l2", ready, trans },
});

describe("the timeline of a log", () => {
  it("draws power states as spans closed by the next change, the last one open to the end", () => {
    const t = new TimelineBuilder();
    [l2(0, 0, 0, 1), l2(1, 1000, 1), l2(2, 5000, 0)].forEach((e) => t.push(e));
    const [lane] = t.finish().lanes;
    expect(lane?.marks.map((m) => [m.kind, m.startNs, m.endNs])).toEqual([["power-trans", 0, 1000], ["power-on", 1000, 5000], ["power-off", 5000, null]]);
  });

  it("keeps a busy lane's first 100 and last 300 marks, counting the ones between and the time they covered", () => {
    // given 2000 L2 changes, 1 µs apart
    const t = new TimelineBuilder();
    for (let n = 0; n < 2000; n++) t.push(l2(n, n * 1000, n % 2));
    const lane = t.finish().lanes[0]!;
    // then 1999 closed spans were made: 100 + 300 kept, the rest counted; the open last state is added
    expect(lane.marks).toHaveLength(401);
    expect(lane.dropped).toBe(1999 - 400);
    expect(lane.marks[99]?.endNs).toBe(100_000);
    expect(lane.marks[100]?.startNs).toBe(1_699_000);
    expect(lane.gap).toEqual({ fromNs: 100_000, toNs: 1_699_000 });
  });
});
