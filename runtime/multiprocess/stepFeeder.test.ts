import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { parseScenario } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { PartitionedQueue } from "./partitionedQueue.ts";
import { STEPS_AHEAD, StepFeeder } from "./stepFeeder.ts";

/** A scenario with one step repeated `count` times, every 1 µs. */
const repeated = (count: number) =>
  parseScenario(
    ["name: many", "model: mali-g610-rk3588", "duration: 1s", "steps:", `  - { at: 0us, every: 1us, count: ${count}, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }`, ""].join("\n"),
    "many.yaml",
    createCatalogue(),
  );

const asLogged = (d: Draft): Envelope => ({ id: d.id, run: "r", seq: 0, timeNs: d.timeNs, depth: d.depth, source: d.source, subject: d.subject, type: d.type, cause: d.cause, payload: d.payload });

describe("the coordinator's step feeder", () => {
  it("keeps a bounded number of a long repetition's steps queued, numbered in order, and tops up as they are logged", () => {
    // given a step repeated 10,000 times
    const queue = new PartitionedQueue("r", () => 0);
    const feeder = new StepFeeder(queue, repeated(10_000));
    // when it tops up with nothing else due
    feeder.topUp(Number.POSITIVE_INFINITY);
    // then STEPS_AHEAD steps wait, scenario:0 first, and the next one not queued bounds the partitions
    expect(queue.size).toBe(STEPS_AHEAD);
    expect(feeder.nextLevel()).toEqual({ timeNs: STEPS_AHEAD * 1000, depth: 0 });
    const first = queue.popBelow(0, { timeNs: 100 * 1000, depth: 0 }, Number.POSITIVE_INFINITY);
    expect(first.map((d) => d.id).slice(0, 3)).toEqual(["scenario:0", "scenario:1", "scenario:2"]);
    expect(first).toHaveLength(100);
    // and once those 100 are logged, topping up queues 100 more, no more
    feeder.logged(first.map(asLogged));
    feeder.topUp(Number.POSITIVE_INFINITY);
    expect(queue.size).toBe(STEPS_AHEAD);
    expect(feeder.nextLevel()).toEqual({ timeNs: (STEPS_AHEAD + 100) * 1000, depth: 0 });
  });

  it("queues the steps due before anything else past its budget, and no further", () => {
    // given a feeder whose budget is spent (steps up to 4.095 ms queued, none logged)
    const queue = new PartitionedQueue("r", () => 0);
    const feeder = new StepFeeder(queue, repeated(10_000));
    feeder.topUp(Number.POSITIVE_INFINITY);
    // when the earliest level anything else is due at is 5 ms
    feeder.topUp(5_000_000);
    // then the step at 4.096 ms is queued all the same — it is now the earliest level — and the
    // next one, after it, bounds the partitions
    expect(queue.size).toBe(STEPS_AHEAD + 1);
    expect(feeder.nextLevel()).toEqual({ timeNs: (STEPS_AHEAD + 1) * 1000, depth: 0 });
  });
});
