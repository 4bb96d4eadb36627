import { describe, expect, it } from "vitest";
import { idRegisterValues } from "../../shared/gpu/idRegisters.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import {
  AS_COMMAND, AS_STATUS_AS_ACTIVE, GPU_CMD, GPU_CONTROL as G, GPU_IRQ, JOB_CONTROL as J, MMU_CONTROL as M,
  asRegister, csfDoorbell, gpuFlushCaches, CACHE_OP,
} from "../../shared/gpu/registers.ts";
import { RegisterFile } from "./registerFile.ts";

const model = loadGpuModel("mali-g610-rk3588");
const fresh = () => new RegisterFile({ idRegisters: idRegisterValues(model), asPresent: model.present.as_present, timestampHz: 24_000_000 });

describe("register file", () => {
  it("reads the model's ID registers and nothing changes state on a read", () => {
    const rf = fresh();
    expect(rf.read(G.GPU_ID, 0)).toBe(0xa8670005);
    expect(rf.read(G.GPU_SHADER_PRESENT_LO, 0)).toBe(0x50005);
    expect(rf.read(G.GPU_AS_PRESENT, 0)).toBe(0xff);
    const before = rf.snapshot(String);
    for (const o of [G.GPU_INT_STAT, G.L2_READY_LO, asRegister(1, "STATUS"), 0x1234]) rf.read(o, 5);
    expect(rf.snapshot(String)).toEqual(before);
  });

  it("computes INT_STAT as RAWSTAT & MASK and clears raw bits written to INT_CLEAR", () => {
    // given raw GPU bits RESET_COMPLETED and POWER_CHANGED with only RESET_COMPLETED unmasked
    const rf = fresh();
    rf.raise("gpu", GPU_IRQ.RESET_COMPLETED | GPU_IRQ.POWER_CHANGED);
    rf.write(G.GPU_INT_MASK, GPU_IRQ.RESET_COMPLETED);
    expect(rf.read(G.GPU_INT_STAT, 0)).toBe(GPU_IRQ.RESET_COMPLETED);
    expect(rf.lines()).toEqual({ gpu: GPU_IRQ.RESET_COMPLETED, job: 0, mmu: 0 });
    // when the driver clears RESET_COMPLETED
    rf.write(G.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
    // then STAT is zero while the masked raw bit stays
    expect(rf.read(G.GPU_INT_STAT, 0)).toBe(0);
    expect(rf.read(G.GPU_INT_RAWSTAT, 0)).toBe(GPU_IRQ.POWER_CHANGED);
    // and the job and MMU lines behave alike
    rf.raise("job", 0x8000_0000);
    rf.write(J.JOB_INT_MASK, 0xffff_ffff);
    expect(rf.read(J.JOB_INT_STAT, 0)).toBe(0x8000_0000);
    rf.write(M.MMU_INT_MASK, 0xffff);
    rf.asFault(1, 0x2c3, 0x1_2345_6000);
    expect(rf.read(M.MMU_INT_STAT, 0)).toBe(0b10);
  });

  it("turns PWRON/PWROFF, GPU_CMD, AS_COMMAND, doorbell and MCU_CONTROL writes into effects", () => {
    const rf = fresh();
    expect(rf.write(G.L2_PWRON_LO, 1)).toEqual({ kind: "power", domain: "l2", on: true, mask: 1 });
    expect(rf.write(G.SHADER_PWROFF_LO, 0x50005)).toEqual({ kind: "power", domain: "shader", on: false, mask: 0x50005 });
    expect(rf.write(G.TILER_PWRON_LO, 0)).toEqual({ kind: "none" });
    expect(rf.write(G.GPU_CMD, GPU_CMD.SOFT_RESET)).toEqual({ kind: "gpuCommand", command: { kind: "SOFT_RESET" } });
    expect(rf.write(G.GPU_CMD, gpuFlushCaches(CACHE_OP.CLEAN_INV, CACHE_OP.CLEAN_INV, CACHE_OP.INV))).toMatchObject({ kind: "gpuCommand", command: { kind: "FLUSH_CACHES" } });
    expect(rf.write(asRegister(1, "COMMAND"), AS_COMMAND.UPDATE)).toEqual({ kind: "asCommand", as: 1, command: "UPDATE" });
    expect(rf.write(csfDoorbell(3), 1)).toEqual({ kind: "doorbell", doorbell: 3 });
    expect(rf.write(G.MCU_CONTROL, 2)).toEqual({ kind: "mcuControl", value: 2 });
    expect(rf.read(G.MCU_CONTROL, 0)).toBe(2);
  });

  it("ignores writes to read-only, unknown and missing-AS registers, and unknown AS commands", () => {
    const rf = fresh();
    expect(rf.write(G.GPU_ID, 0)).toEqual({ kind: "ignored", reason: "read-only" });
    expect(rf.write(G.L2_READY_LO, 1)).toEqual({ kind: "ignored", reason: "read-only" });
    expect(rf.write(asRegister(1, "FAULTSTATUS"), 1)).toEqual({ kind: "ignored", reason: "read-only" });
    expect(rf.write(0x0ffc, 1)).toEqual({ kind: "ignored", reason: "unknown-register" });
    expect(rf.write(asRegister(9, "TRANSTAB_LO"), 0x1000)).toEqual({ kind: "ignored", reason: "not-present" });
    expect(rf.write(asRegister(1, "COMMAND"), 7)).toEqual({ kind: "ignored", reason: "unsupported" });
    expect(rf.write(G.SHADER_PWRON_HI, 1)).toEqual({ kind: "ignored", reason: "unsupported" });
  });

  it("shows AS_ACTIVE from the command write until the MMU completes it, and assembles 64-bit AS registers", () => {
    const rf = fresh();
    rf.write(asRegister(1, "TRANSTAB_LO"), 0x0012_3000);
    rf.write(asRegister(1, "TRANSTAB_HI"), 0x1);
    rf.write(asRegister(1, "MEMATTR_HI"), 0x8888_8888);
    rf.write(asRegister(1, "COMMAND"), AS_COMMAND.UPDATE);
    expect(rf.read(asRegister(1, "STATUS"), 0)).toBe(AS_STATUS_AS_ACTIVE);
    expect(rf.asRegisters(1)).toMatchObject({ transtab: 0x1_0012_3000n, memattr: 0x8888_8888_0000_0000n });
    rf.asCommandCompleted(1);
    expect(rf.read(asRegister(1, "STATUS"), 0)).toBe(0);
  });

  it("latches AS faults in FAULTSTATUS/FAULTADDRESS and the AS's MMU_INT bit", () => {
    const rf = fresh();
    rf.asFault(2, 0x2cb, 0x7f_1234_5678);
    expect(rf.read(asRegister(2, "FAULTSTATUS"), 0)).toBe(0x2cb);
    expect(rf.read(asRegister(2, "FAULTADDRESS_LO"), 0)).toBe(0x1234_5678);
    expect(rf.read(asRegister(2, "FAULTADDRESS_HI"), 0)).toBe(0x7f);
    expect(rf.asFaultPending(2)).toBe(true);
    rf.write(M.MMU_INT_CLEAR, 0b100);
    expect(rf.asFaultPending(2)).toBe(false);
  });

  it("tracks READY/PWRTRANS and raises POWER_CHANGED, with _ALL once no domain is in transition", () => {
    const rf = fresh();
    rf.powerTransitionStarted("l2", 1);
    rf.powerTransitionStarted("shader", 0x5);
    expect(rf.read(G.L2_PWRTRANS_LO, 0)).toBe(1);
    rf.powerChanged("l2", 1, 0);
    expect(rf.read(G.GPU_INT_RAWSTAT, 0)).toBe(GPU_IRQ.POWER_CHANGED);
    rf.powerChanged("shader", 0x5, 0);
    expect(rf.read(G.GPU_INT_RAWSTAT, 0)).toBe(GPU_IRQ.POWER_CHANGED | GPU_IRQ.POWER_CHANGED_ALL);
    expect(rf.read(G.SHADER_READY_LO, 0)).toBe(0x5);
  });

  it("counts GPU_TIMESTAMP at the timestamp rate plus TIMESTAMP_OFFSET", () => {
    const rf = fresh();
    expect(rf.read(G.GPU_TIMESTAMP_LO, 1_000_000)).toBe(24_000);
    rf.write(G.GPU_TIMESTAMP_OFFSET_HI, 2);
    expect(rf.read(G.GPU_TIMESTAMP_HI, 1_000_000)).toBe(2);
  });

  it("keeps only RESET_COMPLETED and the interrupt masks across a soft reset", () => {
    const rf = fresh();
    rf.write(G.GPU_INT_MASK, GPU_IRQ.RESET_COMPLETED);
    rf.powerChanged("l2", 1, 0);
    rf.write(asRegister(1, "TRANSTAB_LO"), 0x3000);
    rf.asFault(1, 0x2c3, 0x1000);
    rf.softReset();
    expect(rf.read(G.GPU_INT_RAWSTAT, 0)).toBe(GPU_IRQ.RESET_COMPLETED);
    expect(rf.read(G.GPU_INT_MASK, 0)).toBe(GPU_IRQ.RESET_COMPLETED);
    expect(rf.read(G.L2_READY_LO, 0)).toBe(0);
    expect(rf.read(M.MMU_INT_RAWSTAT, 0)).toBe(0);
    expect(rf.read(asRegister(1, "TRANSTAB_LO"), 0)).toBe(0);
    expect(rf.read(G.GPU_ID, 0)).toBe(0xa8670005);
  });
});
