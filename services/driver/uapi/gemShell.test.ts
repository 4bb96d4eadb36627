import { describe, expect, it } from "vitest";
import { isZero } from "./gemShell.ts";

describe("gem shell page check", () => {
  it("finds a non-zero byte anywhere in a page, whether the bytes start word-aligned or not", () => {
    const page = new Uint8Array(4096);
    expect(isZero(page)).toBe(true);
    for (const at of [0, 1, 2, 3, 2047, 4092, 4095]) {
      page[at] = 0x80;
      expect(isZero(page)).toBe(false);
      expect(isZero(page.subarray(1))).toBe(at === 0);
      expect(isZero(page.subarray(0, 4093))).toBe(at > 4092);
      page[at] = 0;
    }
    expect(isZero(new Uint8Array(0))).toBe(true);
  });
});
