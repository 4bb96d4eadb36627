import { z } from "zod";
import { describe, expect, it } from "vitest";
import { copyArray, copyObjArray, num, ObjArraySchema, parseArgs, U32, U64, u64Out } from "./userArgs.ts";

const Elem = z.object({ a: U32 });
const arr = (o: object) => ObjArraySchema.parse(o);

describe("uAPI argument conventions (panthor.md §1.2)", () => {
  it("reads u64 fields from numbers or decimal strings and refuses what a u64 cannot hold", () => {
    const S = z.object({ v: U64 });
    expect(parseArgs(S, { v: "18446744073709551615" })).toEqual({ ok: true, value: { v: 2n ** 64n - 1n } });
    expect(parseArgs(S, {})).toEqual({ ok: true, value: { v: 0n } });
    expect(parseArgs(S, { v: "18446744073709551616" })).toEqual({ ok: false, ret: -22 });
    expect(parseArgs(S, { v: -1 })).toEqual({ ok: false, ret: -22 });
    expect([num(5n), num(2n ** 60n)]).toEqual([5, Number.POSITIVE_INFINITY]);
    expect([u64Out(5n), u64Out(2n ** 60n)]).toEqual([5, "1152921504606846976"]);
  });

  it("copies obj_arrays as panthor_get_uobj_array does: count 0 copies nothing, then stride, fault, tail", () => {
    expect(copyObjArray(arr({ stride: 0, count: 0, array: "bad" }), { size: 8, minSize: 8 }, Elem)).toEqual({ ok: true, value: [] });
    expect(copyObjArray(arr({ stride: 4, count: 1, array: [{ a: 1 }] }), { size: 8, minSize: 8 }, Elem)).toEqual({ ok: false, ret: -22 });
    expect(copyObjArray(arr({ stride: 8, count: 2, array: [{ a: 1 }] }), { size: 8, minSize: 8 }, Elem)).toEqual({ ok: false, ret: -14 });
    expect(copyObjArray(arr({ stride: 12, count: 1, array: [{ a: 1, tail: [0, 9] }] }), { size: 8, minSize: 8 }, Elem)).toEqual({ ok: false, ret: -7 });
    expect(copyObjArray(arr({ stride: 12, count: 1, array: [{ a: 1, tail: [0, 0] }] }), { size: 8, minSize: 8 }, Elem)).toEqual({ ok: true, value: [{ a: 1 }] });
    expect(copyObjArray(arr({ stride: 8, count: 1, array: [{ a: "x" }] }), { size: 8, minSize: 8 }, Elem)).toEqual({ ok: false, ret: -22 });
  });

  it("copies plain arrays behind a pointer, faulting on NULL, bad or short arrays", () => {
    expect(copyArray([1, 2], 2, U32)).toEqual({ ok: true, value: [1, 2] });
    expect(copyArray(0, 1, U32)).toEqual({ ok: false, ret: -14 });
    expect(copyArray("bad", 1, U32)).toEqual({ ok: false, ret: -14 });
    expect(copyArray([1], 2, U32)).toEqual({ ok: false, ret: -14 });
    expect(copyArray("bad", 0, U32)).toEqual({ ok: true, value: [] });
  });
});
