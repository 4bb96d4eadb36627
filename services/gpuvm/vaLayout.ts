/**
 * Panthor's VA layout (panthor.md §1.5, §5.4): the user/kernel split a VM_CREATE negotiates
 * (`panthor_vm_create_get_user_va_range`, `panthor_vm_create_check_args`) and the drm_gpuvm each
 * panthor VM wraps (`panthor_vm_create`).
 *
 * The drm_gpuvm of a user VM spans the whole GPU VA `[0, 2^va_bits)` with no kernel-reserved node;
 * the kernel part `[kernel_va_start, 2^va_bits)` is carved out by a separate `drm_mm` for kernel BOs
 * (ring buffers, syncobjs, heap chunks), not by drm_gpuvm. The MCU VM spans 4 GiB.
 */
import { DRM_GPUVM_RESV_PROTECTED, createGpuVm, type GpuVm } from "./gpuvm.ts";

/** `PANTHOR_VM_MIN_KERNEL_VA_SIZE`: the kernel VA section is at least 256 MiB. */
export const PANTHOR_VM_MIN_KERNEL_VA_SIZE = 256 * 1024 * 1024;
const SZ_4G = 2 ** 32;

/** `drm_panthor_vm_create` inputs that shape the layout, plus the caller's `TASK_SIZE`. */
export interface VmCreateLayoutArgs {
  /** `GPU_MMU_FEATURES_VA_BITS` (48 on Mali-G610). */
  readonly vaBits: number;
  /** `drm_panthor_vm_create.flags`; must be 0. */
  readonly flags?: number;
  /** `drm_panthor_vm_create.user_va_range`; 0 asks for the default. */
  readonly userVaRange?: number;
  /** `TASK_SIZE_OF(current)`: 2^48 for a 64-bit task on an arm64 kernel with 48-bit VA (the default here), 2^32 for compat tasks. */
  readonly taskSize?: number;
}

/** The negotiated split. `userVaRange` is what VM_CREATE writes back: the kernel VA start. */
export interface VmLayout {
  readonly vaBits: number;
  readonly kernelVaStart: number;
  readonly kernelVaRange: number;
  /** Value returned in `drm_panthor_vm_create.user_va_range` (= `kernelVaStart`). */
  readonly userVaRange: number;
}

function roundDownPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/**
 * `panthor_vm_create_check_args`: -EINVAL for non-zero flags, a GPU VA below 256 MiB, or a requested
 * user range that leaves less than 256 MiB to the kernel. Default user range: `TASK_SIZE` when it is
 * below the GPU VA, else half the GPU VA (above 4 GiB) or all but 256 MiB. The kernel range is the
 * largest power of two that fits above the user range, placed at the top.
 *
 * @example panthorVmLayout({ vaBits: 48 }) // { kernelVaStart: 2 ** 47, kernelVaRange: 2 ** 47, userVaRange: 2 ** 47, vaBits: 48 }
 */
export function panthorVmLayout(args: VmCreateLayoutArgs): { ok: true; layout: VmLayout } | { ok: false; errno: "EINVAL" } {
  const full = 2 ** args.vaBits;
  const requested = args.userVaRange ?? 0;
  const taskSize = args.taskSize ?? 2 ** 48;
  if ((args.flags ?? 0) !== 0) return { ok: false, errno: "EINVAL" };
  if (full < PANTHOR_VM_MIN_KERNEL_VA_SIZE) return { ok: false, errno: "EINVAL" };
  let user: number;
  if (requested !== 0) user = requested;
  else if (taskSize < full) user = taskSize;
  else user = full > SZ_4G ? full / 2 : full - PANTHOR_VM_MIN_KERNEL_VA_SIZE;
  if (full - PANTHOR_VM_MIN_KERNEL_VA_SIZE < user) user = full - PANTHOR_VM_MIN_KERNEL_VA_SIZE;
  if (user === 0 || (requested !== 0 && requested > user)) return { ok: false, errno: "EINVAL" };
  const kernelVaRange = roundDownPow2(full - user);
  const kernelVaStart = full - kernelVaRange;
  return { ok: true, layout: { vaBits: args.vaBits, kernelVaStart, kernelVaRange, userVaRange: kernelVaStart } };
}

/**
 * The drm_gpuvm of a panthor VM (`panthor_vm_create` → `drm_gpuvm_init`): RESV_PROTECTED, no
 * reserved node, `[0, 2^va_bits)` for a user VM or `[0, 4 GiB)` for the MCU (firmware) VM.
 */
export function createPanthorGpuVm(vaBits: number, forMcu = false): GpuVm {
  return createGpuVm({
    name: forMcu ? "panthor-MCU-VM" : "panthor-GPU-VM",
    flags: DRM_GPUVM_RESV_PROTECTED,
    mmStart: 0,
    mmRange: forMcu ? SZ_4G : 2 ** vaBits,
  });
}
