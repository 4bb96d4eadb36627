import { describe, expect, it } from "vitest";
import { hex, usOf } from "./traceEvent.ts";

/** Perfetto's tokenizer: the decimal text shifted three places (exact). */
const tokenizerNs = (us: number) => {
  const [int, frac = ""] = String(us).split(".");
  return Number(int + (frac + "000").slice(0, 3));
};

describe("µs timestamps", () => {
  it("give back every nanosecond exactly through both of Perfetto's readings (decimal text and double × 1000)", () => {
    const samples = [...Array.from({ length: 200_000 }, (_, n) => n), ...Array.from({ length: 20_000 }, (_, k) => (k * 7_919_113_337 + 1_001) % 1e15)];
    const wrong = samples.filter((n) => Math.trunc(usOf(n) * 1000) !== n || tokenizerNs(usOf(n)) !== n);
    expect(wrong).toEqual([]);
  });

  it("keep the plain decimal when it already reads back exactly", () => {
    expect(usOf(50_144)).toBe(50.144);
    expect(usOf(1_001)).toBe(1.0010000000000001);
    expect(hex(0x50005)).toBe("0x50005");
  });
});
