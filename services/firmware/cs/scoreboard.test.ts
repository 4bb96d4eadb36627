import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { CS_STATUS_BLOCKED_REASON, CS_STATUS_WAIT } from "../interfaceBits.ts";
import { encode } from "./encode.ts";
import { jobDone, raiseTilerOom, runnable, step } from "./interpreter.ts";
import { SparseMemory } from "./memory.ts";
import { CS_EXCEPTION_HANDLER_TYPE, CS_HEAP_OPERATION } from "./opcodes.ts";
import { runCs, submitToRing, writeStream } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";
import { csOutputStatus } from "./status.ts";

const RING = 0x10_0000;
const SYNC = 0x30_0000;
const HANDLER = 0x50_0000;

function setup() {
  const mem = new SparseMemory().map(RING, 4096).map(SYNC, 4096).map(HANDLER, 4096);
  return { mem, cs: createCsState({ ring: { base: RING, size: 4096 } }) };
}

describe("CS interpreter: scoreboard slots, deferred operations, tiler heap", () => {
  it("holds the endpoint slot chosen by SET_SB_ENTRY until the job is done, and WAIT blocks on it", () => {
    const { mem, cs } = setup();
    const a = step(submitToRing(cs, mem, [encode.setSbEntry(5, 0), encode.runCompute(), encode.runCompute(), encode.wait(1 << 5), encode.move32(0, 1)]), mem, 100);
    expect(a.effects.filter((e) => e.type === "run").map((e) => e.type === "run" && [e.jobId, e.sbSlot])).toEqual([[1, 5], [2, 5]]);
    expect(a.state.scoreboard[5]).toBe(2);
    expect(csOutputStatus(a.state)).toMatchObject({
      status_scoreboards: 1 << 5, status_blocked_reason: CS_STATUS_BLOCKED_REASON.SB_WAIT, status_wait: (1 << 5) | CS_STATUS_WAIT.SB_SRC_WAIT,
    });
    const one = jobDone(a.state, mem, 1);
    expect(runnable(one.state)).toBe(false);
    const two = jobDone(one.state, mem, 2);
    expect(runnable(two.state)).toBe(true);
    const b = step(two.state, mem, 100);
    expect(b.state.regs[0]).toBe(1);
    expect(() => jobDone(b.state, mem, 2)).toThrow(/no pending job 2/);
  });

  it("defers a SYNC_ADD64 behind its wait mask and signals it when the job on that slot completes", () => {
    const { mem, cs } = setup();
    const a = step(submitToRing(cs, mem, [
      encode.setSbEntry(3, 0), encode.runIdvs({ mallocEnable: 1 }),
      encode.move48(0, SYNC), encode.move48(2, 1),
      encode.syncAdd64(0, 2, { errorPropagate: true, scope: "CSG", waitMask: 1 << 3, signalSlot: 1 }),
      encode.move48(2, 99), // the deferred op captured d2 = 1 at issue
    ]), mem, 100);
    expect(a.effects.some((e) => e.type === "syncSignalled")).toBe(false);
    expect(a.state.deferred).toHaveLength(1);
    expect(a.state.scoreboard.slice(0, 4)).toEqual([0, 1, 0, 1]);
    const done = jobDone(a.state, mem, 1);
    expect(done.effects).toEqual([expect.objectContaining({ type: "syncSignalled", seqno: "1", scope: "CSG", instructionAddress: RING + 32 })]);
    expect(done.state.scoreboard).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(mem.peek64(SYNC)).toBe(1n);
  });

  it("counts HEAP_OPERATION steps into the CS heap fields and reports HEAP_SET's context", () => {
    const { mem, cs } = setup();
    const r = runCs(submitToRing(cs, mem, [
      encode.move48(72, 0x7700_0000), encode.heapSet(72),
      encode.heapOperation(CS_HEAP_OPERATION.VERTEX_TILER_STARTED), encode.finishTiling(),
      encode.heapOperation(CS_HEAP_OPERATION.VERTEX_TILER_COMPLETED),
      encode.move48(86, 0x1000), encode.move48(88, 0x2000), encode.finishFragment(88, 86, { incrementFragmentCompleted: true }),
    ]), mem);
    expect(r.effects.filter((e) => e.type === "heap").map((e) => e.type === "heap" && e.operation)).toEqual(["set", "vtStarted", "finishTiling", "vtCompleted", "finishFragment"]);
    expect(r.effects.at(-2)).toMatchObject({ firstChunk: 0x1000, lastChunk: 0x2000 });
    expect(csOutputStatus(r.state)).toMatchObject({ heap_address: 0x7700_0000, heap_vt_start: 1, heap_vt_end: 1, heap_frag_end: 1 });
    expect(step(submitToRing(r.state, mem, [0x3100_0002_0000_0000n]), mem, 1).state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
  });

  it("runs the TILER_OOM handler installed with SET_EXCEPTION_HANDLER, then re-executes the interrupted WAIT", () => {
    const { mem, cs } = setup();
    const size = writeStream(mem, HANDLER, [encode.move32(30, 0x00a1)]);
    const a = step(submitToRing(cs, mem, [
      encode.move48(86, HANDLER), encode.move32(88, size), encode.setExceptionHandler(CS_EXCEPTION_HANDLER_TYPE.TILER_OOM, 86, 88),
      encode.setSbEntry(2, 0), encode.runIdvs(), encode.wait(1 << 2),
    ]), mem, 100);
    expect(a.state.block?.kind).toBe("sbWait");
    const oom = raiseTilerOom(a.state);
    expect(oom.effects).toEqual([expect.objectContaining({ type: "heap", operation: "oomHandlerEntered" })]);
    const b = step(oom.state, mem, 100);
    expect(b.state.regs[30]).toBe(0xa1);
    expect(b.state.block?.kind).toBe("sbWait");
    expect(raiseTilerOom(createCsState({ ring: { base: RING, size: 4096 } })).effects).toEqual([{ type: "tilerOom", heapContext: 0, vtStart: 0, vtEnd: 0, fragEnd: 0 }]);
  });

  it("rejects undefined flush modes and sync scopes as invalid instructions", () => {
    const { mem, cs } = setup();
    expect(step(submitToRing(cs, mem, [encode.flushCache2(0, { l2: 2 })]), mem, 1).state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
    const badScope = 0x2500_0000_0000_0002n; // SYNC_ADD32 scope 1
    expect(step(submitToRing(cs, mem, [badScope]), mem, 1).state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
  });

  it("starts a CS whose ring size is not a power of two in CS_FATAL CS_CONFIG_FAULT", () => {
    const cs = createCsState({ ring: { base: RING, size: 3000 } });
    expect(cs.fatal?.exceptionType).toBe(EXCEPTION.CS_CONFIG_FAULT);
    expect(csOutputStatus(cs).fatal).toBe(0x40);
  });
});
