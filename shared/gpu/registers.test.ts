import { describe, expect, it } from "vitest";
import {
  AS_REGISTERS,
  GPU_CONTROL,
  GPU_IRQ,
  JOB_CONTROL,
  MMU_CONTROL,
  RegisterOffsetSchema,
  asAt,
  asRegister,
  csfDoorbell,
  decodeGpuCmd,
  describeBits,
  doorbellAt,
  gpuFlushCaches,
  CACHE_OP,
  GPU_CMD,
  registerName,
  registerOffset,
  JOB_INT_GLOBAL_IF,
  decodeAsFaultStatus,
  encodeAsFaultStatus,
  AS_FAULT_ACCESS,
  mmuVaBits,
  mmuPaBits,
  l2LineSize,
  l2Slices,
} from "./registers.ts";

describe("the register map", () => {
  it("places the GPU_CONTROL registers where panthor_regs.h puts them", () => {
    expect(GPU_CONTROL.GPU_ID).toBe(0x0);
    expect(GPU_CONTROL.GPU_CSF_ID).toBe(0x1c);
    expect(GPU_CONTROL.GPU_CMD).toBe(0x30);
    expect(GPU_CONTROL.GPU_THREAD_FEATURES).toBe(0xac);
    expect(GPU_CONTROL.GPU_SHADER_PRESENT_LO).toBe(0x100);
    expect(GPU_CONTROL.L2_PWRON_LO).toBe(0x1a0);
    expect(GPU_CONTROL.L2_PWRTRANS_LO).toBe(0x220);
    expect(GPU_CONTROL.GPU_COHERENCY_FEATURES).toBe(0x300);
    expect(GPU_CONTROL.MCU_STATUS).toBe(0x704);
    expect(JOB_CONTROL.JOB_INT_STAT).toBe(0x100c);
    expect(MMU_CONTROL.MMU_INT_MASK).toBe(0x2008);
  });

  it("gives every register its own offset", () => {
    const all = [...Object.values(GPU_CONTROL), ...Object.values(JOB_CONTROL), ...Object.values(MMU_CONTROL)];
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(Object.values(AS_REGISTERS)).size).toBe(Object.keys(AS_REGISTERS).length);
  });

  it("computes AS register offsets with the 64-byte per-AS stride", () => {
    expect(asRegister(0, "TRANSTAB_LO")).toBe(0x2400);
    expect(asRegister(1, "COMMAND")).toBe(0x2458);
    expect(asRegister(7, "TRANSCFG_LO")).toBe(0x2400 + 7 * 64 + 0x30);
    expect(() => asRegister(32, "STATUS")).toThrow(RangeError);
    expect(asAt(asRegister(5, "FAULTSTATUS"))).toBe(5);
    expect(asAt(0x1000)).toBeUndefined();
  });

  it("places doorbell pages 64 KiB apart from 0x80000", () => {
    expect(csfDoorbell(0)).toBe(0x80000);
    expect(csfDoorbell(3)).toBe(0xb0000);
    expect(doorbellAt(0xb0000)).toBe(3);
    expect(doorbellAt(0xb0004)).toBeUndefined();
    expect(() => csfDoorbell(24)).toThrow(RangeError);
  });

  it("names registers for readable event logs", () => {
    expect(registerName(0x0)).toBe("GPU_ID");
    expect(registerName(0x24)).toBe("GPU_INT_CLEAR");
    expect(registerName(0x2400)).toBe("AS0.TRANSTAB_LO");
    expect(registerName(0x2400 + 2 * 64 + 0x18)).toBe("AS2.COMMAND");
    expect(registerName(0x2404 + 31 * 64)).toBe("AS31.TRANSTAB_HI");
    expect(registerName(0x10000)).toBe("CSF_GPU_LATEST_FLUSH_ID");
    expect(registerName(0x90000)).toBe("CSF_DOORBELL(1)");
    expect(registerName(0x1234)).toBe("0x01234");
    expect(registerOffset("L2_READY_LO")).toBe(0x160);
  });

  it("accepts only aligned offsets inside the MMIO window", () => {
    expect(RegisterOffsetSchema.safeParse(0x2458).success).toBe(true);
    expect(RegisterOffsetSchema.safeParse(0x2459).success).toBe(false);
    expect(RegisterOffsetSchema.safeParse(0x200000).success).toBe(false);
  });
});

describe("register fields", () => {
  it("encodes and decodes GPU_CMD as GPU_CMD_DEF(type, payload)", () => {
    expect(GPU_CMD.SOFT_RESET).toBe(0x101);
    expect(GPU_CMD.HARD_RESET).toBe(0x201);
    expect(decodeGpuCmd(0x101)).toEqual({ kind: "SOFT_RESET" });
    const flush = gpuFlushCaches(CACHE_OP.CLEAN_INV, CACHE_OP.CLEAN_INV, CACHE_OP.INV);
    expect(flush).toBe(0x233 << 8 | 4);
    expect(decodeGpuCmd(flush)).toEqual({ kind: "FLUSH_CACHES", l2: 3, lsc: 3, other: 2 });
    expect(decodeGpuCmd(0x7)).toEqual({ kind: "UNKNOWN", type: 7, payload: 0 });
  });

  it("names IRQ bits, including bit 31", () => {
    expect(describeBits(GPU_IRQ, GPU_IRQ.RESET_COMPLETED | GPU_IRQ.POWER_CHANGED_ALL)).toBe(
      "RESET_COMPLETED|POWER_CHANGED_ALL",
    );
    expect(describeBits({ GLOBAL_IF: JOB_INT_GLOBAL_IF }, (JOB_INT_GLOBAL_IF | 0x4) >>> 0)).toBe("GLOBAL_IF|0x4");
    expect(describeBits(GPU_IRQ, 0)).toBe("0");
  });

  it("round-trips AS_FAULTSTATUS", () => {
    const f = { exceptionType: 0xc1, accessType: AS_FAULT_ACCESS.WRITE, sourceId: 0xbeef };
    const v = encodeAsFaultStatus(f);
    expect(v).toBe(0xbeef03c1);
    expect(decodeAsFaultStatus(v)).toEqual(f);
  });

  it("decodes the G610 feature registers as the driver does", () => {
    expect(mmuVaBits(0x2830)).toBe(48);
    expect(mmuPaBits(0x2830)).toBe(40);
    expect(l2LineSize(0x07120306)).toBe(64);
    expect(l2Slices(0x301)).toBe(4);
  });
});
