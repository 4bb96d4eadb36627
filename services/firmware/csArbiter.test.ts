import { describe, expect, it } from "vitest";
import { pickStream, type StreamCandidate } from "./csArbiter.ts";

const c = (csg: number, cs: number, csgPriority: number, csPriority = 0, lastRun = 0): StreamCandidate => ({ csg, cs, csgPriority, csPriority, lastRun });

describe("priority arbitration among resident groups", () => {
  it("runs the highest CSG priority first, then the highest queue priority", () => {
    expect(pickStream([c(0, 0, 5), c(1, 0, 10), c(2, 0, 7)])).toMatchObject({ csg: 1 });
    expect(pickStream([c(0, 0, 10, 1), c(0, 1, 10, 3)])).toMatchObject({ cs: 1 });
  });

  it("rotates among equals by least recent slice, then by slot order", () => {
    expect(pickStream([c(0, 0, 10, 0, 7), c(1, 0, 10, 0, 3)])).toMatchObject({ csg: 1 });
    expect(pickStream([c(1, 0, 10), c(0, 2, 10), c(0, 1, 10)])).toMatchObject({ csg: 0, cs: 1 });
    expect(pickStream([])).toBeUndefined();
  });
});
