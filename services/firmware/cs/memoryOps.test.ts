import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { encode } from "./encode.ts";
import { step } from "./interpreter.ts";
import { SparseMemory, recordingWrites, u32Bytes } from "./memory.ts";
import { CS_STATE } from "./opcodes.ts";
import { runCs, submitToRing } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";

const RING = 0x10_0000;
const BO = 0x40_0000;

function setup() {
  const mem = new SparseMemory().map(RING, 4096).map(BO, 8192);
  return { mem, cs: createCsState({ ring: { base: RING, size: 4096 } }) };
}

const bytesAt = (mem: SparseMemory, va: number, n: number): number[] => {
  const r = mem.read(va, n);
  if (!r.ok) throw new Error("unmapped");
  return [...r.data];
};

describe("CS interpreter: LOAD_MULTIPLE, STORE_MULTIPLE, STORE_STATE", () => {
  it("STORE_MULTIPLE writes the selected registers little-endian at d[address] + offset", () => {
    const { mem, cs } = setup();
    const r = runCs(submitToRing(cs, mem, [
      encode.move32(10, 0x0403_0201), encode.move32(11, 0x0807_0605), encode.move32(12, 0xdead_beef),
      encode.move48(20, BO + 0x20), encode.storeMultiple(10, 20, 0b011, -0x10),
    ]), mem);
    expect(r.state.fatal).toBeNull();
    expect(bytesAt(mem, BO + 0x10, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
  });

  it("maps register base+i to word i for masks with holes (Mesa's interpreter reading)", () => {
    const { mem, cs } = setup();
    runCs(submitToRing(cs, mem, [encode.move32(0, 0xaa), encode.move32(2, 0xcc), encode.move32(1, 0xbb), encode.move48(20, BO), encode.storeMultiple(0, 20, 0b101)]), mem);
    expect([mem.peek32(BO), mem.peek32(BO + 4), mem.peek32(BO + 8)]).toEqual([0xaa, 0, 0xcc]);
  });

  it("LOAD_MULTIPLE reads words into consecutive registers", () => {
    const { mem, cs } = setup();
    [7, 8, 9, 10].forEach((v, i) => mem.poke(BO + 0x100 + 4 * i, u32Bytes(v)));
    const r = runCs(submitToRing(cs, mem, [encode.move48(20, BO + 0x100), encode.loadMultiple(40, 20, 0b1111)]), mem);
    expect(r.state.regs.slice(40, 44)).toEqual([7, 8, 9, 10]);
  });

  it("faults with the MMU's code and the faulting VA when a store hits an unmapped page", () => {
    const { mem, cs } = setup();
    const r = step(submitToRing(cs, mem, [encode.move48(20, BO + 8192), encode.storeMultiple(0, 20, 0b1)]), mem, 10);
    expect(r.effects).toContainEqual(expect.objectContaining({ type: "fault", fatal: true, exceptionType: EXCEPTION.TRANSLATION_FAULT_3, info: BO + 8192, instructionAddress: RING + 8 }));
  });

  it("faults CS_INSTR_INVALID when a load would reach past r95", () => {
    const { mem, cs } = setup();
    const r = step(submitToRing(cs, mem, [encode.move48(20, BO), encode.loadMultiple(94, 20, 0b111)]), mem, 10);
    expect(r.state.fatal?.exceptionType).toBe(EXCEPTION.CS_INSTR_INVALID);
  });

  it("STORE_STATE writes the 64-bit timestamp, cycle count and error status", () => {
    const { mem, cs } = setup();
    const s = submitToRing(cs, mem, [
      encode.move48(20, BO),
      encode.storeState(20, CS_STATE.TIMESTAMP),
      encode.storeState(20, CS_STATE.CYCLE_COUNT, { offset: 8 }),
      encode.storeState(20, CS_STATE.ERROR_STATUS, { offset: 16 }),
    ]);
    step(s, mem, 10, { timestamp: 2 ** 40 + 5, cycleCount: 77 });
    expect([mem.peek64(BO), mem.peek64(BO + 8), mem.peek64(BO + 16)]).toEqual([2n ** 40n + 5n, 77n, 0n]);
  });

  it("hands the actor every write the CS made, in order, through a recording memory", () => {
    const { mem, cs } = setup();
    const rec = recordingWrites(mem);
    step(submitToRing(cs, mem, [encode.move32(0, 1), encode.move32(1, 2), encode.move32(3, 4), encode.move48(20, BO), encode.storeMultiple(0, 20, 0b1011)]), rec.mem, 10);
    expect(rec.writes.map((w) => [w.va, [...w.bytes]])).toEqual([
      [BO, [1, 0, 0, 0, 2, 0, 0, 0]], // r0..r1: one run, one write
      [BO + 12, [4, 0, 0, 0]],
    ]);
  });
});
