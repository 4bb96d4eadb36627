import { describe, expect, it } from "vitest";
import { EXCEPTION, exceptionName, isFault, permissionFault, translationFault } from "./exceptions.ts";

describe("exception codes", () => {
  it("names codes as drm_panthor_exception_type does", () => {
    expect(exceptionName(0xc1)).toBe("TRANSLATION_FAULT_1");
    expect(exceptionName(EXCEPTION.OOM)).toBe("OOM");
    expect(exceptionName(0x7f)).toBe("UNKNOWN_EXCEPTION_0x7f");
  });

  it("treats codes above MAX_NON_FAULT as faults", () => {
    expect(isFault(EXCEPTION.TERMINATED)).toBe(false);
    expect(isFault(EXCEPTION.MAX_NON_FAULT)).toBe(false);
    expect(isFault(EXCEPTION.CS_CONFIG_FAULT)).toBe(true);
  });

  it("derives level-specific MMU fault codes", () => {
    expect(translationFault(3)).toBe(EXCEPTION.TRANSLATION_FAULT_3);
    expect(permissionFault(0)).toBe(0xc8);
    expect(() => translationFault(5)).toThrow(RangeError);
  });

  it("gives every code a single name", () => {
    const codes = Object.values(EXCEPTION);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
