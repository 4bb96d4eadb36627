import { describe, expect, it } from "vitest";
import { rangeValid } from "./gpuvm.ts";
import { PANTHOR_VM_MIN_KERNEL_VA_SIZE as MIN_KVA, createPanthorGpuVm, panthorVmLayout } from "./vaLayout.ts";

const ok = (kernelVaStart: number, kernelVaRange: number, vaBits = 48) =>
  ({ ok: true, layout: { vaBits, kernelVaStart, kernelVaRange, userVaRange: kernelVaStart } });

describe("VM_CREATE VA split (panthor_vm_create_check_args, panthor.md §1.5, §5.4)", () => {
  it("gives a 64-bit task on a 48-bit GPU the lower half and the kernel the upper half", () => {
    expect(panthorVmLayout({ vaBits: 48 })).toEqual(ok(2 ** 47, 2 ** 47));
  });

  it("defaults to TASK_SIZE when the task's VA is smaller, but still returns the kernel VA start", () => {
    expect(panthorVmLayout({ vaBits: 48, taskSize: 2 ** 39 })).toEqual(ok(2 ** 47, 2 ** 47));
  });

  it("keeps a requested user range and gives the kernel the largest power of two above it", () => {
    expect(panthorVmLayout({ vaBits: 48, userVaRange: 2 ** 48 - MIN_KVA })).toEqual(ok(2 ** 48 - MIN_KVA, MIN_KVA));
    expect(panthorVmLayout({ vaBits: 48, userVaRange: 2 ** 40 })).toEqual(ok(2 ** 47, 2 ** 47));
  });

  it("rejects a user range that leaves less than 256 MiB to the kernel, and non-zero flags", () => {
    expect(panthorVmLayout({ vaBits: 48, userVaRange: 2 ** 48 - MIN_KVA / 2 })).toEqual({ ok: false, errno: "EINVAL" });
    expect(panthorVmLayout({ vaBits: 48, flags: 1 })).toEqual({ ok: false, errno: "EINVAL" });
  });

  it("on a 32-bit GPU VA keeps the kernel section at its 256 MiB minimum, and refuses a VA below 256 MiB", () => {
    expect(panthorVmLayout({ vaBits: 32 })).toEqual(ok(2 ** 32 - MIN_KVA, MIN_KVA, 32));
    expect(panthorVmLayout({ vaBits: 27 })).toEqual({ ok: false, errno: "EINVAL" });
  });
});

describe("panthor's drm_gpuvm (panthor_vm_create)", () => {
  it("spans the whole GPU VA with no kernel-reserved node for a user VM, and 4 GiB for the MCU VM", () => {
    const user = createPanthorGpuVm(48);
    expect([user.name, user.mmStart, user.mmRange, user.kernelNode.range, user.flags]).toEqual(["panthor-GPU-VM", 0, 2 ** 48, 0, 1]);
    expect(rangeValid(user, 2 ** 48 - 0x1000, 0x1000)).toBe(true);
    const mcu = createPanthorGpuVm(48, true);
    expect([mcu.name, mcu.mmRange]).toEqual(["panthor-MCU-VM", 2 ** 32]);
    expect(rangeValid(mcu, 2 ** 32, 0x1000)).toBe(false);
  });
});
