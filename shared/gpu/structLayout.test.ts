import { describe, expect, it } from "vitest";
import { decodeStruct, defineStruct, encodeStruct, placedFields } from "./structLayout.ts";

const S = defineStruct("test_struct", [
  { name: "a", type: "u8" },
  { name: "b", type: "u16" },
  { name: "c", type: "u32" },
  { name: "d", type: "u64" },
  { name: "e", type: "u32", count: 3 },
] as const);

describe("struct layouts (arm64 natural alignment)", () => {
  it("places every field once, with offsets, element sizes and the name errors quote", () => {
    expect(placedFields(S).map((f) => [f.name, f.at, f.size, f.count, f.where])).toEqual([
      ["a", 0, 1, undefined, "test_struct.a"], ["b", 2, 2, undefined, "test_struct.b"], ["c", 4, 4, undefined, "test_struct.c"],
      ["d", 8, 8, undefined, "test_struct.d"], ["e", 16, 4, 3, "test_struct.e"],
    ]);
    expect(placedFields(S)).toBe(placedFields(S));
  });

  it("encodes u64 fields with the bytes setBigUint64 writes, up to 2^53 − 1, and decodes them back", () => {
    for (const d of [0, 1, 0xffff_ffff, 2 ** 32, 0x1234_5678_9abc, Number.MAX_SAFE_INTEGER]) {
      const bytes = encodeStruct(S, { a: 1, b: 2, c: 3, d, e: [4, 5, 6] });
      const expected = new DataView(new ArrayBuffer(8));
      expected.setBigUint64(0, BigInt(d), true);
      expect(new Uint8Array(bytes, 8, 8)).toEqual(new Uint8Array(expected.buffer));
      expect(decodeStruct(S, bytes)).toEqual({ a: 1, b: 2, c: 3, d, e: [4, 5, 6] });
    }
  });

  it("names the struct, field and element of a value that does not fit", () => {
    expect(() => encodeStruct(S, { a: 256, b: 0, c: 0, d: 0, e: [0, 0, 0] })).toThrow("test_struct.a = 256 does not fit u8");
    expect(() => encodeStruct(S, { a: 0, b: 0, c: 0, d: 2 ** 53, e: [0, 0, 0] })).toThrow("test_struct.d = 9007199254740992 does not fit u64");
    expect(() => encodeStruct(S, { a: 0, b: 0, c: 0, d: 0, e: [0, -1, 0] })).toThrow("test_struct.e[1] = -1 does not fit u32");
    expect(() => encodeStruct(S, { a: 0, b: 0, c: 0, d: 0, e: [0, 0] })).toThrow("test_struct.e must have 3 elements");
  });

  it("refuses to decode a u64 above 2^53 − 1, naming the field and the value", () => {
    const bytes = new ArrayBuffer(S.size);
    new DataView(bytes).setBigUint64(8, 2n ** 53n, true);
    expect(() => decodeStruct(S, bytes)).toThrow("test_struct.d = 9007199254740992 exceeds 2^53");
  });
});
