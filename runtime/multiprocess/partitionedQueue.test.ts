import { describe, expect, it } from "vitest";
import type { Draft } from "../../shared/runtime/draft.ts";
import { GLOBAL, LookaheadViolationError, PartitionedQueue } from "./partitionedQueue.ts";

/** Partition by the subject's GPU (`tyrsim.r.gpu<N>.…`); anything else is global. */
const byGpu = (d: Draft): number => {
  const m = /\.gpu(\d+)\./.exec(d.subject);
  return m === null ? GLOBAL : Number(m[1]);
};

const draft = (source: string, n: number, timeNs: number, depth: number, path: string): Draft => ({
  id: `${source}:${n}`,
  timeNs,
  depth,
  source,
  n,
  subject: `tyrsim.r.${path}`,
  type: "Test",
  cause: null,
  payload: {},
});

describe("the partitioned queue", () => {
  it("keeps each partition's next level at hand, in canonical order, apart from the others'", () => {
    // given events of two GPUs and one global event, queued out of order
    const q = new PartitionedQueue("r", byGpu);
    q.push(draft("gpu1.fw", 0, 50, 0, "gpu1.irq"));
    q.push(draft("gpu0.fw", 1, 30, 1, "gpu0.irq"));
    q.push(draft("gpu0.fw", 0, 30, 1, "gpu0.mmio"));
    q.push(draft("gpu0.regs", 0, 10, 0, "gpu0.irq"));
    q.input("injector", "FaultInjected", "fault.inject", {}, 40);
    // then every partition shows its own earliest level
    expect(q.peekLevel(0)).toEqual({ timeNs: 10, depth: 0 });
    expect(q.peekLevel(1)).toEqual({ timeNs: 50, depth: 0 });
    expect(q.peekLevel(GLOBAL)).toEqual({ timeNs: 40, depth: 0 });
    expect(q.size).toBe(5);
    // and a level comes out whole and in key order, leaving the other partitions alone
    q.popLevel(0, { timeNs: 10, depth: 0 });
    expect(q.popLevel(0, { timeNs: 30, depth: 1 }).map((d) => d.id)).toEqual(["gpu0.fw:0", "gpu0.fw:1"]);
    expect(q.peekLevel(0)).toBeUndefined();
    expect(q.peekLevel(1)).toEqual({ timeNs: 50, depth: 0 });
    expect(q.size).toBe(2);
  });

  it("numbers the inputs of a source in the order they are queued, whatever their partitions", () => {
    const q = new PartitionedQueue("r", byGpu);
    expect(q.input("scenario", "A", "gpu1.x", {}, 5)).toBe("scenario:0");
    expect(q.input("scenario", "A", "gpu0.x", {}, 1)).toBe("scenario:1");
    expect(q.input("injector", "A", "fault.inject", {}, 1)).toBe("injector:0");
  });

  it("refuses an event below the level its partition has already reached, naming both", () => {
    // given GPU 0 run through (100 ns, depth 2)
    const q = new PartitionedQueue("r", byGpu);
    q.push(draft("gpu0.fw", 0, 100, 2, "gpu0.irq"));
    q.popLevel(0, { timeNs: 100, depth: 2 });
    // then a later event is taken, an earlier one is a violation of the partitions' independence
    expect(() => q.push(draft("gpu0.fw", 1, 100, 3, "gpu0.irq"))).not.toThrow();
    expect(() => q.push(draft("gpu1.fw", 0, 50, 0, "gpu1.irq"))).not.toThrow();
    expect(() => q.push(draft("gpu0.regs", 0, 100, 1, "gpu0.irq"))).toThrow(LookaheadViolationError);
    expect(() => q.push(draft("gpu0.regs", 1, 100, 1, "gpu0.irq"))).toThrow(/gpu0\.regs:1 .* partition 0, which the coordinator's lookahead had already run to 100 ns depth 2/);
    // and a global event must not land below any partition
    expect(() => q.push(draft("scenario", 0, 99, 0, "sys.run.ended"))).toThrow(/reaches every partition/);
  });

  it("queues a numbered step in its GPU's partition without touching its source's counter", () => {
    // given a scheduled step numbered 7 for GPU 1
    const q = new PartitionedQueue("r", byGpu);
    q.scheduled("scenario", 7, "A", "gpu1.x", { k: 1 }, 5);
    // then it waits in partition 1 under its own number, as the log will name it
    expect(q.peekLevel(1)).toEqual({ timeNs: 5, depth: 0 });
    expect(q.peekLevel(0)).toBeUndefined();
    const [d] = q.popLevel(1, { timeNs: 5, depth: 0 });
    expect(d).toMatchObject({ id: "scenario:7", n: 7, source: "scenario", subject: "tyrsim.r.gpu1.x", cause: null, payload: { k: 1 } });
    // and the source's own numbering of inputs still starts at 0
    expect(q.input("scenario", "A", "gpu0.x", {}, 6)).toBe("scenario:0");
  });
});
