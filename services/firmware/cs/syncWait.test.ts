import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { CS_STATUS_BLOCKED_REASON, CS_STATUS_WAIT } from "../interfaceBits.ts";
import { encode } from "./encode.ts";
import { ackFault, resume, runnable, step } from "./interpreter.ts";
import { SparseMemory, u32Bytes, u64Bytes } from "./memory.ts";
import { buildJobWrapper } from "./ringWrapper.ts";
import { runCs, submitToRing, writeStream } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";
import { csOutputStatus } from "./status.ts";

const RING_A = 0x10_0000;
const RING_B = 0x11_0000;
const STREAMS = 0x20_0000;
const SYNCOBJS = 0x30_0000; // queue sync objects, 16 bytes each
const LINK = 0x31_0000; // the user-level sync object linking two streams
const BO = 0x32_0000;

function memory(): SparseMemory {
  return new SparseMemory().map(RING_A, 4096).map(RING_B, 4096).map(STREAMS, 0x10000).map(SYNCOBJS, 4096).map(LINK, 4096).map(BO, 4096);
}

/** A user stream: wait until [LINK] > 0 (64-bit), then store 0xC0FFEE to BO. */
const waiter = [
  encode.move48(0, LINK),
  encode.move48(2, 0),
  encode.syncWait64("GREATER", 0, 2),
  encode.move32(4, 0xc0ffee),
  encode.move48(6, BO),
  encode.storeMultiple(4, 6, 0b1),
];
/** A user stream: store 0xA to BO+4, then set [LINK] = 1 (64-bit). */
const signaller = [
  encode.move32(4, 0xa),
  encode.move48(6, BO + 4),
  encode.storeMultiple(4, 6, 0b1),
  encode.move48(0, LINK),
  encode.move48(2, 1),
  encode.syncSet64(0, 2, { scope: "CSG" }),
];

describe("CS interpreter: sync objects, SYNC_WAIT and error propagation", () => {
  it("keeps a SYNC_WAIT on a value never reached blocked, with the wait visible in the CS status", () => {
    const mem = memory();
    const size = writeStream(mem, STREAMS, waiter);
    const cs = submitToRing(createCsState({ ring: { base: RING_A, size: 4096 } }), mem, buildJobWrapper({ streamAddr: STREAMS, streamSize: size, latestFlush: 0, syncAddr: SYNCOBJS }));
    const r = runCs(cs, mem);
    expect(r.effects.filter((e) => e.type === "blocked")).toEqual([
      expect.objectContaining({ blockedReason: CS_STATUS_BLOCKED_REASON.SYNC_WAIT, instructionAddress: STREAMS + 16, block: expect.objectContaining({ kind: "syncWait", address: LINK, size: 64, condition: 1, reference: "0", current: "0" }) }),
    ]);
    const status = csOutputStatus(r.state);
    expect(status).toMatchObject({
      status_blocked_reason: CS_STATUS_BLOCKED_REASON.SYNC_WAIT,
      status_wait: CS_STATUS_WAIT.SYNC + CS_STATUS_WAIT.SYNC_64B + CS_STATUS_WAIT.SYNC_COND_GT,
      status_wait_sync_ptr: LINK,
      status_wait_sync_value: 0,
      status_cmd_ptr: STREAMS + 16,
    });
    // stepping again without a sync update does nothing, and a resume on another object does not wake it
    expect(step(r.state, mem, 100)).toMatchObject({ executed: 0, effects: [] });
    expect(runnable(resume(r.state, BO))).toBe(false);
    // re-evaluated after a resume, still unmet: stays blocked without a second report
    const again = step(resume(r.state, LINK), mem, 100);
    expect(again).toMatchObject({ executed: 0, effects: [] });
    expect(again.state.block).toMatchObject({ kind: "syncWait", recheck: false });
    expect(mem.peek32(BO)).toBe(0);
  });

  it("runs two userspace streams of one ring, linked by SYNC_SET/SYNC_WAIT, in order", () => {
    const mem = memory();
    const a = writeStream(mem, STREAMS, signaller);
    const b = writeStream(mem, STREAMS + 0x1000, waiter);
    let cs = createCsState({ ring: { base: RING_A, size: 4096 } });
    cs = submitToRing(cs, mem, buildJobWrapper({ streamAddr: STREAMS, streamSize: a, latestFlush: 0, syncAddr: SYNCOBJS }));
    cs = submitToRing(cs, mem, buildJobWrapper({ streamAddr: STREAMS + 0x1000, streamSize: b, latestFlush: 0, syncAddr: SYNCOBJS }));
    const r = runCs(cs, mem);
    const signals = r.effects.filter((e) => e.type === "syncSignalled");
    expect(signals.map((e) => [e.address, e.seqno, e.scope])).toEqual([
      [LINK, "1", "CSG"], // stream 1's SYNC_SET
      [SYNCOBJS, "1", "SYSTEM"], // job 1's wrapper
      [SYNCOBJS, "2", "SYSTEM"], // job 2's wrapper, after stream 2 passed its wait
    ]);
    expect([mem.peek32(BO), mem.peek32(BO + 4)]).toEqual([0xc0ffee, 0xa]);
    expect(mem.peek64(SYNCOBJS)).toBe(2n);
    expect(r.effects.some((e) => e.type === "blocked")).toBe(false);
    expect(r.state.ring.extract).toBe(r.state.ring.insert);
  });

  it("releases a CS blocked on another queue's sync object when that queue signals and the firmware resumes it", () => {
    const mem = memory();
    const a = writeStream(mem, STREAMS, signaller);
    const b = writeStream(mem, STREAMS + 0x1000, waiter);
    const csA = submitToRing(createCsState({ ring: { base: RING_A, size: 4096 } }), mem, buildJobWrapper({ streamAddr: STREAMS, streamSize: a, latestFlush: 0, syncAddr: SYNCOBJS }));
    const csB = submitToRing(createCsState({ ring: { base: RING_B, size: 4096 } }), mem, buildJobWrapper({ streamAddr: STREAMS + 0x1000, streamSize: b, latestFlush: 0, syncAddr: SYNCOBJS + 16 }));
    // B runs first and blocks
    const b1 = runCs(csB, mem);
    expect(b1.state.block?.kind).toBe("syncWait");
    // A runs and signals LINK
    const a1 = runCs(csA, mem);
    const signal = a1.effects.find((e) => e.type === "syncSignalled" && e.address === LINK);
    expect(signal).toBeDefined();
    // the firmware re-evaluates B's wait on that update
    const b2 = runCs(resume(b1.state, LINK), mem);
    expect(mem.peek32(BO)).toBe(0xc0ffee);
    expect(mem.peek64(SYNCOBJS + 16)).toBe(1n);
    expect(b2.state.block).toBeNull();
  });

  it("propagates a job fault into the sync object's status, and ERROR_BARRIER clears it for the next job", () => {
    const mem = memory();
    const size = writeStream(mem, STREAMS, [encode.runCompute()]);
    let cs = createCsState({ ring: { base: RING_A, size: 4096 } });
    for (let i = 0; i < 2; i++) cs = submitToRing(cs, mem, buildJobWrapper({ streamAddr: STREAMS, streamSize: size, latestFlush: 0, syncAddr: SYNCOBJS }));
    // job 1's compute work faults; job 2's succeeds
    let first = true;
    const r1 = runCs(cs, mem, { completeJob: () => (first ? ((first = false), { ok: false, exceptionType: EXCEPTION.DATA_INVALID_FAULT, info: 0x1234 }) : { ok: true }) });
    expect(r1.effects.find((e) => e.type === "fault")).toMatchObject({ fatal: false, exceptionType: 0x58, info: 0x1234 });
    expect(r1.state.faultPending).not.toBeNull();
    expect(csOutputStatus(r1.state).fault).toBe(0x58);
    // the host acknowledges CS_FAULT and rings the doorbell: the stream continues
    const r2 = runCs(ackFault(r1.state), mem);
    const signals = r2.effects.filter((e) => e.type === "syncSignalled");
    expect(signals.map((e) => [e.seqno, e.status])).toEqual([["1", 1], ["2", 0]]);
    expect(mem.peek64(SYNCOBJS)).toBe(2n);
    expect(mem.peek32(SYNCOBJS + 8)).toBe(0);
    expect(r2.state.errorState).toBe(0);
  });

  it("inherits an error from a sync object with status set (CS_INHERIT_FAULT), unless error_reject is set", () => {
    const mem = memory();
    mem.poke(LINK, u64Bytes(5n));
    mem.poke(LINK + 8, u32Bytes(1));
    const stream = (reject: boolean) => [encode.move48(0, LINK), encode.move48(2, 4), encode.syncWait64("GREATER", 0, 2, { errorReject: reject }), encode.move32(10, 1)];
    const inherit = runCs(submitToRing(createCsState({ ring: { base: RING_A, size: 4096 } }), mem, stream(false)), mem);
    expect(inherit.effects).toContainEqual(expect.objectContaining({ type: "fault", fatal: false, exceptionType: EXCEPTION.CS_INHERIT_FAULT, info: LINK }));
    expect(inherit.state.regs[10]).toBe(0);
    expect(runCs(ackFault(inherit.state), mem).state.regs[10]).toBe(1);
    const reject = runCs(submitToRing(createCsState({ ring: { base: RING_B, size: 4096 } }), mem, stream(true)), mem);
    expect(reject.effects.some((e) => e.type === "fault")).toBe(false);
    expect(reject.state.regs[10]).toBe(1);
  });

  it("adds and sets 32-bit sync objects, wrapping modulo 2^32, with the status word at +4", () => {
    const mem = memory();
    mem.poke(LINK, u32Bytes(0xffff_ffff));
    const r = runCs(submitToRing(createCsState({ ring: { base: RING_A, size: 4096 } }), mem, [
      encode.move48(0, LINK), encode.move32(2, 2), encode.syncAdd32(0, 2, { errorPropagate: true }),
      encode.move48(4, LINK + 8), encode.syncSet32(4, 2),
    ]), mem);
    expect([mem.peek32(LINK), mem.peek32(LINK + 4), mem.peek32(LINK + 8)]).toEqual([1, 0, 2]);
    expect(r.effects.filter((e) => e.type === "syncSignalled").map((e) => [e.operation, e.size, e.seqno, e.status])).toEqual([
      ["add", 32, "1", 0],
      ["set", 32, "2", undefined],
    ]);
  });
});
