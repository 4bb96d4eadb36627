import { z } from "zod";
import { describe, expect, it, vi } from "vitest";
import { createPrng } from "../../../shared/random/prng.ts";
import { copyArray, copyObjArray, num, ObjArraySchema, parseArgs, S64, U32, U32Value, U64, u64Out, UserArrayPtr } from "./userArgs.ts";

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

  it("give, through the fast reader of common forms, exactly what the schemas give, and refuse what they refuse", () => {
    // given a struct of every field kind the fast reader knows, and one it does not (a U8 array)
    const Struct = z.object({ handle: U32, va: U64, timeout: S64, ptr: UserArrayPtr, ops: ObjArraySchema });
    const Mixed = z.object({ handle: U32, pad: z.array(z.number()).default([]) });
    // and thousands of inputs: common forms, defaults, and every kind of wrong value
    const prng = createPrng(9).split("userArgs");
    // (the first four values of each list, the common forms, come up half the time)
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(prng.float() * (prng.float() < 0.5 ? 4 : xs.length))] as T;
    const scalars = [undefined, 0, 7, 0xffff_ffff, 1, 2 ** 32, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_SAFE_INTEGER, -(2 ** 53), "12", "18446744073709551615", "-5", "x", null, true, [], {}];
    const pointers = [undefined, 0, "bad", [1, { a: 2 }], [], 5, "good", null, {}];
    const objArrays = [undefined, {}, { stride: 16, count: 1, array: [{}] }, { array: "bad" }, { stride: "16" }, { count: -1 }, { array: 3 }, null, [], 0];
    const input = (): unknown => {
      if (prng.float() < 0.05) return pick([null, [], "x", 3]);
      const o: Record<string, unknown> = {};
      for (const [key, values] of [["handle", scalars], ["va", scalars], ["timeout", scalars], ["ptr", pointers], ["ops", objArrays], ["extra", scalars]] as const) {
        const v = pick(values as readonly unknown[]);
        if (v !== undefined || prng.float() < 0.5) o[key] = v;
      }
      return o;
    };
    // when each is parsed as the ioctls parse them, and by the schema alone
    let fast = 0;
    for (let i = 0; i < 4000; i++) {
      const raw = input();
      const expected = Struct.safeParse(raw ?? {});
      const got = parseArgs(Struct, raw);
      // then both accept and refuse alike, and what they accept is the same value with the same keys in the same order
      expect(got.ok).toBe(expected.success);
      if (got.ok && expected.success) {
        expect(got.value).toEqual(expected.data);
        expect(Object.keys(got.value)).toEqual(Object.keys(expected.data));
        expect(Object.keys(got.value.ops)).toEqual(Object.keys(expected.data.ops));
        fast++;
      }
    }
    expect(fast).toBeGreaterThan(100);
    // and common forms never reach zod, while a struct with a field the fast reader does not know always does
    const safeParse = vi.spyOn(Struct, "safeParse");
    expect(parseArgs(Struct, { handle: 3, va: 4096, ptr: [1], ops: { stride: 16, count: 1, array: [{ a: 1 }] } })).toEqual({
      ok: true, value: { handle: 3, va: 4096n, timeout: 0n, ptr: [1], ops: { stride: 16, count: 1, array: [{ a: 1 }] } },
    });
    expect(safeParse).not.toHaveBeenCalled();
    expect(parseArgs(Struct, { va: "4096" })).toMatchObject({ ok: true, value: { va: 4096n } });
    expect(safeParse).toHaveBeenCalledTimes(1);
    const mixedParse = vi.spyOn(Mixed, "safeParse");
    expect(parseArgs(Mixed, { handle: 1 })).toEqual({ ok: true, value: { handle: 1, pad: [] } });
    expect(mixedParse).toHaveBeenCalledTimes(1);
    // elements of user arrays too: handles, points and obj_array elements
    expect(copyArray([1, 2, 0xffff_ffff], 3, U32Value)).toEqual({ ok: true, value: [1, 2, 0xffff_ffff] });
    expect(copyArray([1, undefined], 2, U32Value)).toEqual({ ok: false, ret: -22 });
    expect(copyArray([1, "7"], 2, U64)).toEqual({ ok: true, value: [1n, 7n] });
    expect(copyArray([1, -7], 2, U64)).toEqual({ ok: false, ret: -22 });
  });
});
