import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { EXCEPTION } from "../shared/gpu/exceptions.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { jobIntCsgIf } from "../shared/gpu/registers.ts";
import { CS, CSG, CS_STATUS_BLOCKED_REASON, CS_STATUS_WAIT, encode } from "../services/firmware/index.ts";
import { CSG_INPUT, CSG_OUTPUT } from "../services/firmware/interfaces.ts";
import { MS, US, ringDoorbell } from "./support/firmwareDriver.ts";
import { VA, bootFirmware, bringUpGpu, fwBench, startGroup, submitJobs, writeStream, type FwWorld } from "./support/fwBench.ts";
import type { FwHost } from "./support/fwHost.ts";
import type { Steps } from "./support/gpuBringUp.ts";
import { publish } from "./support/scriptedDriver.ts";
import { MemoryWritten } from "../services/memory/memoryEvents.ts";
import { memoryPaths } from "../services/memory/memoryReplica.ts";
import { encodeWrite } from "../services/memory/memoryWrites.ts";

const G610 = loadGpuModel("mali-g610-rk3588");
const of = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type);

/** Boot, start CSG 0, submit `stream` in the kernel's job wrapper, then run `then` with the host. */
function runStream(stream: readonly bigint[], then: (w: FwWorld, h: FwHost) => Steps) {
  const bench = fwBench(G610, function* (w) {
    yield* bringUpGpu(w);
    const h = (yield* bootFirmware(w))!;
    if (!(yield* startGroup(w))) throw new Error("CSG 0 did not start");
    const size = yield* writeStream(w, VA.streams, stream);
    yield* submitJobs(w, [{ va: VA.streams, size }]);
    yield* then(w, h);
  });
  bench.run();
  return bench;
}

describe("command streams run by the firmware actor", () => {
  it("ends a stream with an undefined opcode in CS_FATAL CS_INSTR_INVALID, read back from the CS output block", () => {
    // given a user stream whose second instruction has opcode 10, undefined on v10
    let fatalSeen = false;
    const { sink, w } = runStream([encode.nop(), 0x0a00_0000_0000_0000n, encode.nop()], function* (w, h) {
      // when the driver waits for the CS event (CS_ACK.FATAL differing from CS_REQ), leaving it unacknowledged
      h.ackEvents = false;
      fatalSeen = yield* h.waitUntil(() => ((h.csAck(0, 0) ^ h.csReq(0, 0)) & CS.FATAL) !== 0);
    });
    // then the CS output block holds the exception and the faulting instruction's address
    const h = w.host!;
    expect(fatalSeen).toBe(true);
    expect(h.csOut(0, 0, "fatal") & 0xff).toBe(EXCEPTION.CS_INSTR_INVALID);
    expect(h.csOut(0, 0, "fatal_info")).toBe(VA.streams + 8);
    expect(h.csOut(0, 0, "fault")).toBe(0);
    // and CSG 0's cs_irq_req flags CS 0 (differs from the host's cs_irq_ack), with the CSG interrupt raised
    const csIrqPending = h.map.read32(h.csg(0).output + CSG_OUTPUT.offsets.cs_irq_req) ^ h.map.read32(h.csg(0).input + CSG_INPUT.offsets.cs_irq_ack);
    expect(csIrqPending & 1).toBe(1);
    expect(h.seen.at(-1)! & jobIntCsgIf(0)).not.toBe(0);
    expect(of(sink.events, "CsFaultRaised").map((e) => e.payload)).toEqual([
      expect.objectContaining({ csg: 0, cs: 0, fatal: true, exceptionType: 0x49, exceptionName: "CS_INSTR_INVALID", instructionAddress: VA.streams + 8 }),
    ]);
    // and the job never reached its epilogue: the queue's sync object is untouched
    expect(w.u64(VA.syncobj)).toBe(0n);
  });

  it("completes a 100,000-iteration counted loop with the right count, charging 20 ns per instruction", () => {
    // given r0 = 100 000; loop { r0 -= 1; r1 += 1 } while r0 != 0; then store r1
    const loop = [
      encode.move32(0, 100_000), encode.move32(1, 0),
      encode.addImmediate32(0, 0, -1), encode.addImmediate32(1, 1, 1), encode.branch("NEQUAL", 0, -3),
      encode.move48(6, VA.bo), encode.storeMultiple(1, 6, 0b1),
    ];
    const { sink, w } = runStream(loop, function* (w, h) {
      yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n, 20 * MS);
    });
    // then the BO holds the iteration count
    expect(w.u32(VA.bo)).toBe(100_000);
    // and the 300 020 instructions (stream and wrapper) took 300 020 × 20 ns after the doorbell pass
    const rung = of(sink.events, "DoorbellRung").filter((e) => (e.payload as { doorbell: number }).doorbell === 1).at(-1)!.timeNs;
    const done = of(sink.events, "SyncObjectUpdated").at(-1)!.timeNs;
    expect(done - rung).toBe(2 * US + 300_020 * 20);
    // and the instructions were charged in slices, not reported one by one
    expect(sink.events.length).toBeLessThan(600);
  });

  it("leaves a SYNC_WAIT on a value never reached blocked, visible in the CS status, until the host signals the object", () => {
    // given a stream waiting for [link] > 5, and a 64-bit link object that holds 0
    const stream = [
      encode.move48(0, VA.link), encode.move48(2, 5), encode.syncWait64("GREATER", 0, 2),
      encode.move32(4, 0x600d), encode.move48(6, VA.bo), encode.storeMultiple(4, 6, 0b1),
    ];
    const status: Record<string, number> = {};
    const { sink, w } = runStream(stream, function* (w, h) {
      // when the driver lets it run 2 ms and then asks for a status update (panthor's tick does)
      yield* h.waitUntil(() => false, 2 * MS);
      yield* h.csgRequest(0, CSG.STATE_START, CSG.STATUS_UPDATE);
      yield* h.ringCsgDoorbells(1);
      yield* h.csgWait(0);
      for (const f of ["status_blocked_reason", "status_wait", "status_wait_sync_ptr", "status_wait_sync_value", "status_cmd_ptr"] as const) status[f] = h.csOut(0, 0, f);
      status.csgState = h.map.read32(h.csg(0).output + CSG_OUTPUT.offsets.status_state);
      // and then the CPU signals the object (link = 6) and rings the queue's doorbell
      const six = new Uint8Array(8);
      six[0] = 6;
      yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", w.pa(VA.link), six));
      yield* ringDoorbell(1);
      yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n);
    });
    // then, while blocked, the CS output block showed the wait: SYNC_WAIT, 64-bit, GT, on [link] > 5, at the SYNC_WAIT
    expect(status).toEqual({
      status_blocked_reason: CS_STATUS_BLOCKED_REASON.SYNC_WAIT,
      status_wait: (CS_STATUS_WAIT.SYNC + CS_STATUS_WAIT.SYNC_64B + CS_STATUS_WAIT.SYNC_COND_GT) >>> 0,
      status_wait_sync_ptr: VA.link,
      status_wait_sync_value: 5,
      status_cmd_ptr: VA.streams + 16,
      csgState: 1, // IS_IDLE: the group reported idle while its only stream waited
    });
    expect(of(sink.events, "CsBlocked").map((e) => e.payload)).toContainEqual(
      expect.objectContaining({ blockedReason: 3, syncAddress: VA.link, condition: 1, reference: "5", current: "0" }),
    );
    expect(of(sink.events, "CsgEventRaised").map((e) => (e.payload as { event: string }).event)).toContain("IDLE");
    // and once signalled, the stream went on: its store landed and the job completed
    expect(w.u32(VA.bo)).toBe(0x600d);
    expect(w.u64(VA.syncobj)).toBe(1n);
  });
});
