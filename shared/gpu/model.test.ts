import { describe, expect, it } from "vitest";
import { decodeGpuId, encodeGpuId, popcount, productId } from "./model.ts";

describe("GPU_ID", () => {
  it("encodes the RK3588 Mali-G610 as 0xa8670005", () => {
    const id = { arch_major: 10, arch_minor: 8, arch_rev: 6, product_major: 7, version_major: 0, version_minor: 0, version_status: 5 };
    expect(encodeGpuId(id)).toBe(0xa8670005);
    expect(productId(0xa8670005)).toBe(0xa867);
  });

  it("decodes every field of GPU_ID back", () => {
    for (const v of [0xa8670005, 0xac740001, 0xffffffff, 0x12345678]) {
      expect(encodeGpuId(decodeGpuId(v))).toBe(v);
    }
    expect(decodeGpuId(0xac740001)).toMatchObject({ arch_major: 10, arch_minor: 12, arch_rev: 7, product_major: 4, version_status: 1 });
  });

  it("counts the cores in a present mask", () => {
    expect(popcount(0x50005)).toBe(4);
    expect(popcount(0xff)).toBe(8);
    expect(popcount(2 ** 40 + 1)).toBe(2);
  });
});
