import { describe, expect, it } from "vitest";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_TRANSCFG, asTranscfgInaBits } from "../../shared/gpu/registerFields.ts";
import { asInputBits, asPageTable, asTranslationMode } from "./asPageTable.ts";

const TRANSCFG = BigInt(AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - 48));
const BITS = { vaBits: 48, paBits: 40 };

describe("AS configuration as the MMU reads it", () => {
  it("walks AARCH64_4K tables from TRANSTAB and leaves UNMAPPED (or unmodelled modes) without translation", () => {
    expect(asTranslationMode(TRANSCFG)).toBe("aarch64-4k");
    expect(asTranslationMode(BigInt(AS_TRANSCFG.ADRMODE_UNMAPPED))).toBe("unmapped");
    expect(asTranslationMode(BigInt(AS_TRANSCFG.ADRMODE_IDENTITY))).toBe("unsupported");
    const mem = new PhysicalMemory(16 * PAGE_SIZE);
    expect(asPageTable(mem, 0x3000n, BigInt(AS_TRANSCFG.ADRMODE_UNMAPPED), BITS)).toBeUndefined();
    expect(asPageTable(mem, 0x3abcn, TRANSCFG, BITS)).toMatchObject({ pgdPa: 0x3000, cfg: { fmt: "ARM_64_LPAE_S1", ias: 48, oas: 40 } });
  });

  it("takes the input size from INA_BITS = 55 − va_bits, or the GPU's VA bits when the field is 0", () => {
    expect(asInputBits(BigInt(asTranscfgInaBits(55 - 39)), 48)).toBe(39);
    expect(asInputBits(0n, 48)).toBe(48);
  });
});
