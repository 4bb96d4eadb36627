import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { encode } from "./encode.ts";
import { step } from "./interpreter.ts";
import { SparseMemory, u64Bytes } from "./memory.ts";
import { runCs, submitToRing, writeStream } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";
import { csOutputStatus } from "./status.ts";

const RING = 0x10_0000;
const STREAM = 0x20_0000;
const DATA = 0x30_0000;

function setup(ringSize = 4096, extract = 0) {
  const mem = new SparseMemory().map(RING, ringSize).map(STREAM, 0x10000).map(DATA, 0x1000);
  const cs = createCsState({ ring: { base: RING, size: ringSize, extract } });
  return { mem, cs };
}

describe("CS interpreter: core instructions and the ring", () => {
  it("completes a 100,000-iteration counted loop (ADD_IMMEDIATE32 + BRANCH) with the right count", () => {
    // given r0 = 100000 iterations left, r1 = counter, a loop body that decrements r0 and counts in r1
    const { mem, cs } = setup();
    const loop = [
      encode.move32(0, 100_000),
      encode.move32(1, 0),
      encode.addImmediate32(1, 1, 1), // loop: r1 += 1
      encode.addImmediate32(0, 0, -1), //       r0 -= 1
      encode.branch("NEQUAL", 0, -3), //       if r0 != 0 goto loop
      encode.move48(2, DATA),
      encode.storeMultiple(1, 2, 0b1), // [DATA] = r1
    ];
    const size = writeStream(mem, STREAM, loop);
    // when the ring CALLs it and the CS runs
    const ring = submitToRing(cs, mem, [encode.move48(90, STREAM), encode.move32(89, size), encode.call(90, 89)]);
    const r = runCs(ring, mem, { budget: 1_000_000 });
    // then the counter reached 100,000 and every instruction was counted once
    expect(mem.peek32(DATA)).toBe(100_000);
    expect(r.state.regs[0]).toBe(0);
    expect(r.executed).toBe(3 + 2 + 3 * 100_000 + 2);
    expect(r.effects.at(-1)).toMatchObject({ type: "idle", pendingJobs: 0 });
  });

  it("ends an undefined opcode in CS_FATAL CS_INSTR_INVALID (0x49) at its address and stops for good", () => {
    const { mem, cs } = setup();
    const s = submitToRing(cs, mem, [encode.nop(), 0x0a00_0000_0000_0000n, encode.move32(1, 7)]);
    const r = step(s, mem, 100);
    expect(r.executed).toBe(1);
    expect(r.effects).toEqual([
      expect.objectContaining({ type: "fault", fatal: true, exceptionType: EXCEPTION.CS_INSTR_INVALID, exceptionName: "CS_INSTR_INVALID", instructionAddress: RING + 8 }),
    ]);
    expect(r.state.fatal).toMatchObject({ exceptionType: 0x49, instructionAddress: RING + 8 });
    expect(csOutputStatus(r.state)).toMatchObject({ fatal: 0x49, fatal_info: RING + 8, status_cmd_ptr: RING + 8 });
    expect(r.state.regs[1]).toBe(0);
    expect(step(r.state, mem, 100)).toMatchObject({ executed: 0, effects: [] });
  });

  it("reports idle once when the ring runs empty, and runs again after the doorbell moves CS_INSERT", () => {
    const { mem, cs } = setup();
    const a = step(submitToRing(cs, mem, [encode.move32(3, 1)]), mem, 100);
    expect(a.effects).toEqual([{ type: "idle", extract: 8, pendingJobs: 0, deferred: 0 }]);
    expect(step(a.state, mem, 100).effects).toEqual([]);
    const b = step(submitToRing(a.state, mem, [encode.addImmediate32(3, 3, 41)]), mem, 100);
    expect(b.state.regs[3]).toBe(42);
    expect(b.state.ring.extract).toBe(16);
  });

  it("fetches across the ring's wrap point, with CS_EXTRACT counting monotonic bytes", () => {
    // given a 4 KiB ring whose extract sits 16 bytes before the end
    const { mem, cs } = setup(4096, 4096 - 16);
    const words = [encode.move32(0, 1), encode.move32(1, 2), encode.move32(2, 3), encode.move32(3, 4)];
    const r = step(submitToRing(cs, mem, words), mem, 100);
    // then the last two instructions came from the start of the ring
    expect(r.state.regs.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(r.state.ring.extract).toBe(4096 + 16);
    expect(mem.peek64(RING)).toBe(words[2]);
  });

  it("stops after the instruction budget and resumes where it left off", () => {
    const { mem, cs } = setup();
    const s = submitToRing(cs, mem, Array.from({ length: 10 }, (_, i) => encode.move32(i, i + 1)));
    const a = step(s, mem, 4);
    expect(a.executed).toBe(4);
    expect(a.state.ring.extract).toBe(32);
    const b = step(a.state, mem, 100);
    expect(b.executed).toBe(6);
    expect(b.state.regs.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(b.state.retired).toBe(10);
  });

  it("never mutates the state it is given", () => {
    const { mem, cs } = setup();
    const s = submitToRing(cs, mem, [encode.move48(4, 0x1234_5678_9abc), encode.addImmediate64(4, 4, -0x9abc)]);
    const before = JSON.stringify(s);
    const r = step(s, mem, 10);
    expect(JSON.stringify(s)).toBe(before);
    expect(r.state.regs[4]).toBe(0x5678_0000);
    expect(r.state.regs[5]).toBe(0x1234);
  });

  it("computes 64-bit adds across the word boundary and wraps modulo 2^64", () => {
    const { mem, cs } = setup();
    const r = step(submitToRing(cs, mem, [encode.move32(0, 0xffff_ffff), encode.move32(1, 0xffff_ffff), encode.addImmediate64(2, 0, 2), encode.move32(4, 5), encode.move32(5, 9), encode.compareSelect32(6, 4, 5)]), mem, 10);
    expect(r.state.regs.slice(2, 4)).toEqual([1, 0]);
    expect(r.state.regs[6]).toBe(5);
  });

  it("faults with the MMU's exception code when an instruction fetch hits an unmapped page", () => {
    const { mem, cs } = setup();
    const s = submitToRing(cs, mem, [encode.move48(0, 0x9990_0000), encode.move32(2, 64), encode.call(0, 2)]);
    const r = step(s, mem, 10);
    expect(r.effects.at(-1)).toMatchObject({ type: "fault", fatal: true, exceptionType: EXCEPTION.TRANSLATION_FAULT_3, info: 0x9990_0000 });
  });

  it("is deterministic: the same ring and memory give the same states and effects", () => {
    const run = () => {
      const { mem, cs } = setup();
      mem.poke(DATA, u64Bytes(7n));
      const s = submitToRing(cs, mem, [encode.move48(0, DATA), encode.loadMultiple(2, 0, 0b11), encode.addImmediate32(2, 2, 1), encode.storeMultiple(2, 0, 0b1, 8)]);
      return JSON.stringify(runCs(s, mem));
    };
    expect(run()).toBe(run());
  });
});
