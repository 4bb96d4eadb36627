import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { encode } from "./encode.ts";
import { step } from "./interpreter.ts";
import { SparseMemory } from "./memory.ts";
import { CS_CONDITION, type CsConditionName } from "./opcodes.ts";
import { runCs, submitToRing, writeStream } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";

const RING = 0x10_0000;
const S = 0x20_0000; // streams, 0x100 apart

function setup() {
  const mem = new SparseMemory().map(RING, 4096).map(S, 0x10000);
  return { mem, cs: createCsState({ ring: { base: RING, size: 4096 } }) };
}

/** Ring words that CALL the stream at `va` of `bytes` through d80/r82. */
const callFromRing = (va: number, bytes: number) => [encode.move48(80, va), encode.move32(82, bytes), encode.call(80, 82)];

describe("CS interpreter: CALL, JUMP, BRANCH", () => {
  it("returns from nested CALLs to the instruction after each CALL", () => {
    const { mem, cs } = setup();
    const inner = writeStream(mem, S + 0x100, [encode.addImmediate32(0, 0, 10)]);
    const outer = writeStream(mem, S, [encode.move48(2, S + 0x100), encode.move32(4, inner), encode.call(2, 4), encode.addImmediate32(0, 0, 1), encode.call(2, 4)]);
    const r = runCs(submitToRing(cs, mem, [...callFromRing(S, outer), encode.addImmediate32(0, 0, 100)]), mem);
    expect(r.state.regs[0]).toBe(121);
    expect(r.state.frames).toEqual([]);
  });

  it("raises CS_CALL_STACK_OVERFLOW when a 9th frame would be needed (ring + 7 called streams on G610)", () => {
    const { mem, cs } = setup();
    // a stream that calls itself forever
    writeStream(mem, S, [encode.move48(2, S), encode.move32(4, 24), encode.call(2, 4)]);
    const r = runCs(submitToRing(cs, mem, callFromRing(S, 24)), mem);
    expect(r.state.fatal).toMatchObject({ exceptionType: EXCEPTION.CS_CALL_STACK_OVERFLOW, instructionAddress: S + 16 });
    expect(r.state.frames).toHaveLength(7);
  });

  it("follows a JUMP to the next chunk of a stream and returns to the ring from there", () => {
    const { mem, cs } = setup();
    const chunk2 = writeStream(mem, S + 0x200, [encode.addImmediate32(0, 0, 2)]);
    const chunk1 = writeStream(mem, S, [encode.addImmediate32(0, 0, 1), encode.move48(94, S + 0x200), encode.move32(93, chunk2), encode.jump(94, 93), encode.move32(0, 999)]);
    const r = runCs(submitToRing(cs, mem, [...callFromRing(S, chunk1), encode.addImmediate32(0, 0, 4)]), mem);
    expect(r.state.regs[0]).toBe(7);
  });

  it("refuses a JUMP from the ring itself, as Mesa's decoder does", () => {
    const { mem, cs } = setup();
    const r = step(submitToRing(cs, mem, [encode.move48(2, S), encode.move32(4, 8), encode.jump(2, 4)]), mem, 10);
    expect(r.state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
  });

  it("refuses CALL lengths that are not a multiple of 8, and treats a zero-length CALL as a no-op", () => {
    const { mem, cs } = setup();
    expect(step(submitToRing(cs, mem, callFromRing(S, 12)), mem, 10).state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
    const r = step(submitToRing(cs, mem, [...callFromRing(S, 0), encode.move32(1, 5)]), mem, 10);
    expect(r.state.regs[1]).toBe(5);
    expect(r.state.fatal).toBeNull();
  });

  it("tests BRANCH conditions on the register as a signed 32-bit value", () => {
    const cases: [CsConditionName, number, boolean][] = [
      ["LEQUAL", 0, true], ["LEQUAL", 0xffff_ffff, true], ["LEQUAL", 1, false],
      ["GREATER", 1, true], ["GREATER", 0x8000_0000, false],
      ["EQUAL", 0, true], ["NEQUAL", 0, false],
      ["LESS", 0xffff_fffe, true], ["LESS", 0, false],
      ["GEQUAL", 0, true], ["GEQUAL", 0x8000_0000, false], ["ALWAYS", 0x8000_0000, true],
    ];
    for (const [cond, value, taken] of cases) {
      const { mem, cs } = setup();
      const r = step(submitToRing(cs, mem, [encode.move32(0, value), encode.branch(cond, 0, 1), encode.move32(1, 1), encode.move32(2, 1)]), mem, 10);
      expect([cond, value, r.state.regs[1] === 0]).toEqual([cond, value, taken]);
    }
    expect(CS_CONDITION.ALWAYS).toBe(6);
  });

  it("faults on an undefined BRANCH condition and on a branch target outside its stream", () => {
    const { mem, cs } = setup();
    const bad = 0x1600_0000_7000_0000n; // BRANCH with condition 7
    expect(step(submitToRing(cs, mem, [bad]), mem, 10).state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
    const size = writeStream(mem, S, [encode.branch("ALWAYS", 0, -5)]);
    expect(runCs(submitToRing(cs, mem, callFromRing(S, size)), mem).state.fatal).toMatchObject({ exceptionType: 0x49, instructionAddress: S });
  });

  it("branches backwards within the ring", () => {
    const { mem, cs } = setup();
    const r = runCs(submitToRing(cs, mem, [encode.move32(0, 3), encode.addImmediate32(1, 1, 2), encode.addImmediate32(0, 0, -1), encode.branch("GREATER", 0, -3)]), mem);
    expect(r.state.regs[1]).toBe(6);
    expect(r.state.idle).toBe(true);
  });
});
