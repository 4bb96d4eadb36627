import { describe, expect, it } from "vitest";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { CSG, encode } from "../services/firmware/index.ts";
import { CSG_INPUT } from "../services/firmware/interfaces.ts";
import { MS, US } from "./support/firmwareDriver.ts";
import { RING_SIZE, VA, bootFirmware, bringUpGpu, fwBench, queue, startGroup, submitJobs, writeStream } from "./support/fwBench.ts";
import { sleep } from "./support/scriptedDriver.ts";

const G610 = loadGpuModel("mali-g610-rk3588");
const SUSPEND_BUF = 0x0420_0000;

describe("CSG suspend buffers in the firmware model", () => {
  it("resumes a group suspended mid-loop on another CSG slot, from its suspend buffer, and finishes the loop", () => {
    let resumedOk = false;
    const bench = fwBench(G610, function* (w) {
      // given a group on CSG 0 (suspend buffer at SUSPEND_BUF) running a 30 000-iteration counted loop
      yield* bringUpGpu(w);
      const h = (yield* bootFirmware(w))!;
      yield* h.map.write32(h.csg(0).input + CSG_INPUT.offsets.suspend_buf, SUSPEND_BUF);
      if (!(yield* startGroup(w, 15, 0))) throw new Error("CSG 0 did not start");
      const loop = [
        encode.move32(0, 30_000), encode.move32(1, 0),
        encode.addImmediate32(0, 0, -1), encode.addImmediate32(1, 1, 1), encode.branch("NEQUAL", 0, -3),
        encode.move48(6, VA.bo), encode.storeMultiple(1, 6, 0b1),
      ];
      const size = yield* writeStream(w, VA.streams, loop);
      yield* submitJobs(w, [{ va: VA.streams, size }]);
      yield* sleep(500 * US);
      // when the host suspends CSG 0 half-way through the loop…
      yield* h.csgRequest(0, CSG.STATE_SUSPEND, 0);
      yield* h.ringCsgDoorbells(1);
      if (!(yield* h.csgWait(0))) throw new Error("SUSPEND not acknowledged");
      // …and resumes the group on CSG 1 with the same suspend buffer and the same ring
      const q = queue(0);
      yield* h.programCs(1, 0, { ringVa: q.ringVa, ringSize: RING_SIZE, inputVa: q.inputVa, outputVa: q.outputVa, priority: 1 }, 2);
      yield* h.map.write32(h.csg(1).input + CSG_INPUT.offsets.suspend_buf, SUSPEND_BUF);
      yield* h.programCsg(1, { as: 1, priority: 15, cores: G610.present.shader_present }, CSG.STATE_RESUME);
      yield* h.ringCsgDoorbells(2);
      resumedOk = yield* h.csgWait(1);
      yield* h.waitUntil(() => w.u64(q.syncobj) === 1n, 20 * MS);
    });
    bench.run();
    // then the loop finished on CSG 1 with its full count: the stream state moved with the suspend buffer
    expect(resumedOk).toBe(true);
    expect(bench.w.u32(VA.bo)).toBe(30_000);
    const states = bench.sink.events.filter((e) => e.type === "CsgStateChanged").map((e) => [(e.payload as { csg: number }).csg, (e.payload as { state: string }).state]);
    expect(states).toEqual([[0, "running"], [0, "suspended"], [1, "running"]]);
    expect(bench.sink.events.filter((e) => e.type === "SyncObjectUpdated").map((e) => (e.payload as { csg: number }).csg)).toEqual([1]);
  });
});
