import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { CsTrap, execOf, pointer, setPair, setPairFromNumber, ZERO_CLOCK } from "./context.ts";
import { encode } from "./encode.ts";
import { step } from "./interpreter.ts";
import { SparseMemory } from "./memory.ts";
import { submitToRing } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";

const RING = 0x10_0000;

function ringWith(words: bigint[]) {
  const mem = new SparseMemory().map(RING, 4096);
  const cs = submitToRing(createCsState({ ring: { base: RING, size: 4096 } }), mem, words);
  return { mem, cs };
}

describe("interpreter drafts: the register file is copied on the first write", () => {
  it("leaves the given state's registers untouched when a step writes registers", () => {
    const { mem, cs } = ringWith([encode.move32(3, 7), encode.move48(4, 0x1234_5678_9abc)]);
    const before = [...cs.regs];
    const r = step(cs, mem, 100);
    expect(cs.regs).toEqual(before);
    expect(r.state.regs.slice(3, 6)).toEqual([7, 0x5678_9abc, 0x1234]);
    expect(r.state.regs).not.toBe(cs.regs);
  });

  it("shares the register file with the given state when a step writes none", () => {
    const { mem, cs } = ringWith([encode.nop(), encode.nop()]);
    const r = step(cs, mem, 100);
    expect(r.executed).toBe(2);
    expect(r.state.regs).toBe(cs.regs);
  });
});

describe("number fast paths agree with the 64-bit (BigInt) definitions", () => {
  const x = () => execOf(createCsState({ ring: { base: RING, size: 4096 } }), new SparseMemory(), ZERO_CLOCK);

  it("MOVE48's number write gives the words of setPair", () => {
    for (const v of [0, 1, 0xffff_ffff, 2 ** 32, 0xffff_ffff_ffff, 0x1234_5678_9abc]) {
      const a = x();
      const b = x();
      setPairFromNumber(a, 10, v);
      setPair(b, 10, BigInt(v));
      expect(a.d.regs.slice(10, 12)).toEqual(b.d.regs.slice(10, 12));
    }
  });

  it("resolves pointers with offsets, and faults beyond 48 bits or when wrapping below zero", () => {
    const at = (hi: number, lo: number, offset: number) => {
      const e = x();
      setPair(e, 20, (BigInt(hi) << 32n) | BigInt(lo));
      return pointer(e, 20, offset);
    };
    expect(at(0x1234, 0x10, -0x10)).toBe(0x1234_0000_0000);
    expect(at(0xffff, 0xffff_fff0, 8)).toBe(0xffff_ffff_fff8);
    const fault = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof CsTrap ? [e.exceptionType, e.info] : e;
      }
      return undefined;
    };
    expect(fault(() => at(0xffff, 0xffff_fff8, 8))).toEqual([EXCEPTION.ADDR_SIZE_FAULT_IN, 0]);
    expect(fault(() => at(0, 0, -8))).toEqual([EXCEPTION.ADDR_SIZE_FAULT_IN, 0xffff_ffff_fff8]);
    expect(fault(() => at(0x1_0000, 0, 0))).toEqual([EXCEPTION.ADDR_SIZE_FAULT_IN, 0]);
  });
});
