import { describe, expect, it } from "vitest";
import { firstFreeAs, mmuIrqMask, panthorMemattr, panthorTranscfg } from "./asSlots.ts";

describe("AS slots and their programming", () => {
  it("hands out the lowest present AS above AS0, which stays the MCU's", () => {
    expect(firstFreeAs(0xff, new Set())).toBe(1);
    expect(firstFreeAs(0xff, new Set([1, 2]))).toBe(3);
    expect(firstFreeAs(0x0b, new Set([1]))).toBe(3);
    expect(firstFreeAs(0x03, new Set([1]))).toBeUndefined();
  });

  it("builds AS_MEMATTR from io-pgtable's MAIR as mair_to_memattr does", () => {
    // NC (0x44) → INNER_OUTER_NC | ALLOC_EXPL(0,0); WBRWA (0xff) → WB | ALLOC_EXPL(W,R); DEVICE → NC; INC_OWBRWA → WB, no hints
    expect(panthorMemattr(false)).toBe(0x4c4c4c4c_8c4c8f4cn);
    expect(panthorMemattr(true) & 0xff00n).toBe(0x9f00n);
  });

  it("programs AArch64 4K tables with INA_BITS 55 - va_bits and write-back read-allocate walks", () => {
    expect(panthorTranscfg(48, false)).toBe(0x420001c6);
    expect(mmuIrqMask(0xff, 0b100)).toBe(0xfb);
  });
});
