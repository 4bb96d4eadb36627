import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { EXCEPTION } from "../shared/gpu/exceptions.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { CS, CS_HEAP_OPERATION, GLB, acknowledgeEvents, encode, updateReqs } from "../services/firmware/index.ts";
import { CS_INPUT, GLB_INPUT } from "../services/firmware/interfaces.ts";
import { JobFaultInjected } from "../services/shader/shaderEvents.ts";
import { shaderPaths } from "../services/shader/shaderPaths.ts";
import { MS, ringDoorbell } from "./support/firmwareDriver.ts";
import { VA, bootFirmware, bringUpGpu, fwBench, startGroup, submitJobs, writeStream, type FwWorld } from "./support/fwBench.ts";
import type { FwHost } from "./support/fwHost.ts";
import type { Steps } from "./support/gpuBringUp.ts";
import { publish, sleep, waitFor } from "./support/scriptedDriver.ts";

const G610 = loadGpuModel("mali-g610-rk3588");
const of = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type).map((e) => e.payload as Record<string, unknown>);
const HEAP_CTX = 0x86_0000;

/** Boot, start CSG 0 on priority 15, then `then`. */
function runCs(then: (w: FwWorld, h: FwHost) => Steps) {
  const bench = fwBench(G610, function* (w) {
    yield* bringUpGpu(w);
    const h = (yield* bootFirmware(w))!;
    if (!(yield* startGroup(w))) throw new Error("CSG 0 did not start");
    yield* then(w, h);
  });
  bench.run();
  return bench;
}

/** Host: copy CS_ACK's `bit` into CS_REQ (acknowledge a CS event), as panthor's CS event handlers do. */
function* ackCsEvent(h: FwHost, bit: number): Steps {
  yield* h.map.write32(h.csg(0).cs[0]!.input + CS_INPUT.offsets.req, acknowledgeEvents(h.csReq(0, 0), h.csAck(0, 0), bit));
}

const pending = (h: FwHost, bit: number) => ((h.csReq(0, 0) ^ h.csAck(0, 0)) & bit) !== 0;

describe("CS slots: requests, events and their acknowledgement", () => {
  it("raises CS_FAULT for a job that faults on the cores, stalls until the host acknowledges, then finishes the job with an error status", () => {
    const seen: Record<string, unknown> = {};
    const { sink, w } = runCs(function* (w, h) {
      // given a compute job made to fault on the cores while it runs
      h.ackEvents = false;
      const size = yield* writeStream(w, VA.streams, [encode.move48(16, VA.spd), encode.runCompute()]);
      yield* submitJobs(w, [{ va: VA.streams, size }]);
      yield* waitFor((e) => e.type === "JobStarted");
      yield* publish(JobFaultInjected, shaderPaths(0).inject, { gpu: 0, job: "csg0.cs0.job1", effect: "fault" });
      seen.raised = yield* h.waitUntil(() => pending(h, CS.FAULT));
      seen.fault = h.csOut(0, 0, "fault") & 0xff;
      yield* sleep(1 * MS);
      seen.seqnoWhileStalled = w.u64(VA.syncobj);
      // when the host acknowledges CS_FAULT and rings the queue's doorbell (panthor's cs_slot_process_fault_event_locked)
      yield* ackCsEvent(h, CS.FAULT);
      yield* ringDoorbell(1);
      seen.finished = yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n);
    });
    // then the stream stalled on the fault, and continued after the acknowledge, propagating the error to the sync object
    expect(seen).toEqual({ raised: true, fault: EXCEPTION.DATA_INVALID_FAULT, seqnoWhileStalled: 0n, finished: true });
    expect(w.u32(VA.syncobj + 8)).toBe(1);
    expect(of(sink.events, "CsFaultRaised")).toEqual([expect.objectContaining({ fatal: false, exceptionName: "DATA_INVALID_FAULT" })]);
    expect(of(sink.events, "SyncObjectUpdated")).toEqual([expect.objectContaining({ seqno: "1", status: 1 })]);
  });

  it("raises CS_TILER_OOM when the heap runs out, holds the IDVS job, and dispatches it once the host grants a chunk", () => {
    const seen: Record<string, unknown> = {};
    const draws = Array.from({ length: 5 }, () => [encode.heapOperation(CS_HEAP_OPERATION.VERTEX_TILER_STARTED), encode.runIdvs()]).flat();
    const { sink } = runCs(function* (w, h) {
      // given five render passes in flight on a heap that starts with four chunks
      h.ackEvents = false;
      const size = yield* writeStream(w, VA.streams, [encode.move48(70, HEAP_CTX), encode.heapSet(70), encode.move48(16, VA.spd), encode.move32(33, 3), ...draws]);
      yield* submitJobs(w, [{ va: VA.streams, size }]);
      seen.raised = yield* h.waitUntil(() => pending(h, CS.TILER_OOM));
      seen.output = { vtStart: h.csOut(0, 0, "heap_vt_start"), heapAddress: h.csOut(0, 0, "heap_address") };
      // when the host answers with a 128 KiB chunk in heap_start/heap_end, acknowledges, rings the CSG doorbell
      const chunk = (0x90_0000 | (0x2_0000 >> 12)) >>> 0;
      yield* h.map.write32(h.csg(0).cs[0]!.input + CS_INPUT.offsets.heap_start, chunk);
      yield* h.map.write32(h.csg(0).cs[0]!.input + CS_INPUT.offsets.heap_end, chunk);
      yield* ackCsEvent(h, CS.TILER_OOM);
      yield* h.ringCsgDoorbells(1);
      seen.finished = yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n);
    });
    // then four draws ran before the OOM, the fifth after the chunk was granted
    expect(seen).toEqual({ raised: true, output: { vtStart: 5, heapAddress: HEAP_CTX }, finished: true });
    expect(of(sink.events, "CsTilerOomRaised")).toEqual([{ csg: 0, cs: 0, heapContext: HEAP_CTX, vtStart: 5, vtEnd: 0, fragEnd: 0 }]);
    const oomAt = sink.events.find((e) => e.type === "CsTilerOomRaised")!.seq;
    const dispatched = sink.events.filter((e) => e.type === "JobDispatched");
    expect(dispatched.map((e) => [(e.payload as { kind: string }).kind, e.seq < oomAt])).toEqual([
      ["vertex", true], ["vertex", true], ["vertex", true], ["vertex", true], ["vertex", false],
    ]);
  });

  it("dispatches jobs on the cores that both GLB core_en_mask (CFG_ALLOC_EN) and the CSG's allow_compute allow", () => {
    const { sink, w } = runCs(function* (w, h) {
      // given the host limits the firmware to cores 0 and 2 (core_en_mask 0x5, CFG_ALLOC_EN toggled)
      yield* h.map.write32(h.glb.input + GLB_INPUT.offsets.core_en_mask, 0x5);
      yield* h.glbToggle(GLB.CFG_ALLOC_EN);
      // when a compute job runs
      const size = yield* writeStream(w, VA.streams, [encode.move48(16, VA.spd), encode.runCompute()]);
      yield* submitJobs(w, [{ va: VA.streams, size }]);
      yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n);
    });
    // then it was dispatched to, and ran on, those two cores only
    expect(of(sink.events, "JobDispatched").map((p) => p.coreMask)).toEqual([0x5]);
    expect(of(sink.events, "JobStarted").map((p) => p.cores)).toEqual([0x5]);
    expect(w.u64(VA.syncobj)).toBe(1n);
  });

  it("stops a stream on CS_REQ STOP and starts it afresh on START at the extract the host gives", () => {
    const seen: Record<string, unknown> = {};
    const { sink, w } = runCs(function* (w, h) {
      const cs = h.csg(0).cs[0]!;
      // when the host stops CS 0 and queues a job
      yield* h.map.write32(cs.input + CS_INPUT.offsets.req, updateReqs(h.csReq(0, 0), CS.STATE_STOP, CS.STATE_MASK));
      yield* h.ringCsgDoorbells(1);
      seen.stopped = yield* h.waitUntil(() => (h.csAck(0, 0) & CS.STATE_MASK) === CS.STATE_STOP);
      const size = yield* writeStream(w, VA.streams, [encode.move32(4, 0x5a), encode.move48(6, VA.bo), encode.storeMultiple(4, 6, 0b1)]);
      yield* submitJobs(w, [{ va: VA.streams, size }]);
      yield* sleep(1 * MS);
      seen.boWhileStopped = w.u32(VA.bo);
      // and then starts it again
      yield* h.map.write32(cs.input + CS_INPUT.offsets.req, updateReqs(h.csReq(0, 0), CS.STATE_START, CS.STATE_MASK));
      yield* h.ringCsgDoorbells(1);
      seen.finished = yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n);
    });
    // then nothing ran while stopped, and the restarted stream ran the queued job
    expect(seen).toEqual({ stopped: true, boWhileStopped: 0, finished: true });
    expect(w.u32(VA.bo)).toBe(0x5a);
    expect(of(sink.events, "CsRequestsAcked").map((p) => p.requests)).toEqual([
      ["STATE_START", "IDLE_SYNC_WAIT", "IDLE_EMPTY"], ["STATE_STOP"], ["STATE_START"],
    ]);
  });
});
