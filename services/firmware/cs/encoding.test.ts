import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode } from "./encode.ts";
import { decode, decodeWords, encodeInstruction, formatInstruction, splitWord, wordsToBytes } from "./encoding.ts";
import { LAYOUT, type Instruction, type InstructionKind } from "./layouts.ts";
import { CS_STATE, OPCODE, opcodeName } from "./opcodes.ts";

const KINDS = Object.keys(LAYOUT) as InstructionKind[];

/** An instruction of `kind` with every field at `pick(lo, hi)` of its range. */
function instructionWith(kind: InstructionKind, pick: (min: number, max: number, name: string) => number): Instruction {
  const out: Record<string, number | string> = { kind };
  for (const [name, spec] of Object.entries(LAYOUT[kind].fields) as [string, readonly [number, number, string?]][]) {
    const [, width, signed] = spec;
    const min = signed ? -(2 ** (width - 1)) : 0;
    const max = signed ? 2 ** (width - 1) - 1 : 2 ** width - 1;
    out[name] = pick(min, max, name);
  }
  return out as unknown as Instruction;
}

describe("CS instruction encoding (cs-isa.md §3)", () => {
  it("round-trips every v10 instruction with its fields at their minimum and maximum", () => {
    for (const kind of KINDS) {
      for (const pick of [(min: number) => min, (_: number, max: number) => max]) {
        const instr = instructionWith(kind, pick);
        const word = encodeInstruction(instr);
        expect(Number(word >> 56n), kind).toBe(LAYOUT[kind].opcode);
        expect(decode(word), kind).toEqual(instr);
      }
    }
  });

  it("round-trips every v10 instruction with arbitrary field values (seeded property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (kind, seed) => {
        let s = seed;
        const instr = instructionWith(kind, (min, max) => {
          s = (s * 1103515245 + 12345) % 2 ** 31;
          return min + Math.floor((s / 2 ** 31) * (max - min + 1));
        });
        expect(decode(encodeInstruction(instr))).toEqual(instr);
      }),
      { seed: 0x7e1, numRuns: 2000 },
    );
  });

  it("decodes every undefined opcode as invalid and every defined one by name", () => {
    for (let op = 0; op < 256; op++) {
      const d = decode(BigInt(op) << 56n);
      const name = opcodeName(op);
      if (name === undefined) expect(d).toEqual({ kind: "invalid", opcode: op });
      else expect(d.kind).toBe(name);
    }
    expect(decode(0xff00_0000_0000_0000n)).toEqual({ kind: "invalid", opcode: 0xff });
  });

  it("treats an all-zero word as NOP, and ignores a NOP's payload", () => {
    expect(decode(0n)).toEqual({ kind: "NOP" });
    expect(decode(0x00ab_cdef_0123_4567n)).toEqual({ kind: "NOP" });
  });

  it("produces Panthor's ring-wrapper words exactly as cs-isa.md §6.3 lists them", () => {
    expect(encode.move32(94, 0)).toBe(0x025e0000_00000000n);
    expect(encode.flushCache2(94, { l2: 3, lsc: 3, other: 2 })).toBe(0x24005e00_00000233n);
    expect(encode.storeState(92, CS_STATE.CYCLE_COUNT)).toBe(0x28005c01_00000000n);
    expect(encode.storeState(94, CS_STATE.TIMESTAMP)).toBe(0x28005e00_00000000n);
    expect(encode.move48(92, 0)).toBe(0x015c0000_00000000n);
    expect(encode.wait(0x01)).toBe(0x03000000_00010000n);
    expect(encode.call(92, 94)).toBe(0x20005c5e_00000000n);
    expect(encode.move48(94, 1)).toBe(0x015e0000_00000001n);
    expect(encode.wait(0xff)).toBe(0x03000000_00ff0000n);
    expect(encode.syncAdd64(92, 94, { errorPropagate: true })).toBe(0x33005c5e_00000001n);
    expect(encode.errorBarrier()).toBe(0x2f000000_00000000n);
  });

  it("keeps MOVE48's 48-bit immediate and sign-extends ADD_IMMEDIATE and BRANCH offsets", () => {
    expect(decode(encode.move48(2, 0xffff_ffff_ffff))).toEqual({ kind: "MOVE48", destination: 2, immediate: 0xffff_ffff_ffff });
    expect(decode(encode.addImmediate32(1, 1, -1))).toEqual({ kind: "ADD_IMMEDIATE32", destination: 1, source: 1, immediate: -1 });
    expect(decode(encode.branch("NEQUAL", 3, -2))).toEqual({ kind: "BRANCH", condition: 3, value: 3, offset: -2 });
    expect(decode(encode.storeMultiple(0, 10, 0b11, -8))).toMatchObject({ offset: -8, mask: 3, address: 10 });
  });

  it("refuses a field value that does not fit, naming instruction and field", () => {
    expect(() => encode.move32(256, 0)).toThrow("MOVE32.destination = 256 does not fit 8 bits");
    expect(() => encode.move48(0, 2 ** 48)).toThrow(/MOVE48.immediate/);
    expect(() => encode.branch("ALWAYS", 0, 40000)).toThrow(/BRANCH.offset = 40000 does not fit signed 16 bits/);
  });

  it("decodes from 32-bit halves the same as from the 64-bit word", () => {
    const w = encode.syncWait64("GREATER", 84, 86, { errorReject: true });
    const { lo, hi } = splitWord(w);
    expect(decodeWords(lo, hi)).toEqual(decode(w));
    expect(decode(w)).toEqual({ kind: "SYNC_WAIT64", errorReject: 1, condition: 1, data: 86, address: 84 });
  });

  it("lays words out little-endian in a CS buffer", () => {
    const bytes = wordsToBytes([encode.move32(1, 0x11223344)]);
    expect([...bytes]).toEqual([0x44, 0x33, 0x22, 0x11, 0x00, 0x00, 0x01, OPCODE.MOVE32]);
  });

  it("disassembles for logs with registers as rN", () => {
    expect(formatInstruction(decode(encode.syncAdd64(92, 94, { errorPropagate: true })))).toBe(
      "SYNC_ADD64 errorPropagate=1 scope=0 waitMask=0 signalSlot=0 data=r94 address=r92",
    );
    expect(formatInstruction({ kind: "invalid", opcode: 0x3f })).toBe("INVALID opcode=0x3f");
  });
});
