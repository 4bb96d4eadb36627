/**
 * DRM_IOCTL_PANTHOR_DEV_QUERY (`panthor_ioctl_dev_query`, panthor.md §1.3): the device's info
 * structs with size negotiation. `pointer == 0` asks for the kernel's struct size; otherwise
 * `PANTHOR_UOBJ_SET` copies `min(size, sizeof)` bytes and zero-fills the rest of the user buffer,
 * refusing a `size` below the struct's minimum (-EINVAL). The output is what the user buffer holds
 * afterwards: `data`, the `min(size, sizeof)` bytes copied (base64), and `cleared`, the number of
 * zero bytes `clear_user` wrote after them (not spelled out, a buffer may be 4 GiB).
 *
 * Sources of the answers:
 * - GPU_INFO: `drm_panthor_gpu_info` as probe read it (`ptdev->gpu_info`);
 * - CSIF_INFO: what the probe read from the firmware's interface blocks (`panthor_sched_init`'s
 *   clamped slot count, the CS features); the model's counts for a device without firmware;
 * - TIMESTAMP_INFO: the 1.1 layout (frequency, current timestamp, offset — the 1.8 flags fields
 *   are not modelled, the device is 1.5); the timestamp and offset are read from
 *   GPU_TIMESTAMP / GPU_TIMESTAMP_OFFSET through MMIO, as the kernel does;
 * - GROUP_PRIORITIES_INFO (1.2): LOW and MEDIUM allowed — clients have neither CAP_SYS_NICE nor
 *   DRM master in tyrsim.
 */
import { z } from "zod";
import { CSIF_INFO_SIZE, csifInfoFromFirmware, encodeCsifInfo, encodeGpuInfo, GPU_INFO_MIN_SIZE, GPU_INFO_SIZE } from "../../../shared/gpu/gpuInfo.ts";
import { GPU_CONTROL as R } from "../../../shared/gpu/registers.ts";
import { defineStruct, encodeStruct, fieldEnd } from "../../../shared/gpu/structLayout.ts";
import { encodeBytes } from "../../memory/memoryWrites.ts";
import { readl, type KTask } from "../ktask.ts";
import type { DriverState } from "./driverState.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "./ioctlContext.ts";
import { BAD_POINTER, num, parseArgs, U32, U64 } from "./userArgs.ts";

/** `enum drm_panthor_dev_query_type`. */
export const DRM_PANTHOR_DEV_QUERY = { GPU_INFO: 0, CSIF_INFO: 1, TIMESTAMP_INFO: 2, GROUP_PRIORITIES_INFO: 3 } as const;

/** `struct drm_panthor_timestamp_info` as of driver 1.1 (24 bytes; `current_timestamp` ends the mandatory part). */
export const DRM_PANTHOR_TIMESTAMP_INFO = defineStruct("drm_panthor_timestamp_info", [
  { name: "timestamp_frequency", type: "u64" },
  { name: "current_timestamp", type: "u64" },
  { name: "timestamp_offset", type: "u64" },
] as const);

/** `struct drm_panthor_group_priorities_info`. */
export const DRM_PANTHOR_GROUP_PRIORITIES_INFO = defineStruct("drm_panthor_group_priorities_info", [
  { name: "allowed_mask", type: "u8" },
  { name: "pad", type: "u8", count: 3 },
] as const);

/** `PANTHOR_GROUP_PRIORITY_LOW | MEDIUM` as allowed-mask bits. */
const UNPRIVILEGED_PRIORITIES = (1 << 0) | (1 << 1);

/** `struct drm_panthor_dev_query`. */
export const DevQueryArgs = z.object({ type: U32, size: U32, pointer: z.union([U64, z.literal(BAD_POINTER)]) });

/** The kernel's bytes for one query type and the minimum size it accepts, or undefined for an unknown type. */
function* answer(d: DriverState, type: number): KTask<{ bytes: Uint8Array; minSize: number } | undefined> {
  switch (type) {
    case DRM_PANTHOR_DEV_QUERY.GPU_INFO:
      return { bytes: new Uint8Array(encodeGpuInfo(d.dev.info)), minSize: GPU_INFO_MIN_SIZE };
    case DRM_PANTHOR_DEV_QUERY.CSIF_INFO: {
      const fw = d.model.firmware;
      const info = d.fw?.ifaces?.csifInfo
        ?? csifInfoFromFirmware({ group_num: fw.csg_slot_count, stream_num: fw.cs_per_csg, cs_reg_count: fw.cs_reg_count, scoreboard_slot_count: fw.scoreboard_slot_count });
      const bytes = new Uint8Array(encodeCsifInfo(info));
      return { bytes, minSize: bytes.length };
    }
    case DRM_PANTHOR_DEV_QUERY.TIMESTAMP_INFO: {
      const lo = yield* readl(R.GPU_TIMESTAMP_LO);
      const hi = yield* readl(R.GPU_TIMESTAMP_HI);
      const offLo = yield* readl(R.GPU_TIMESTAMP_OFFSET_LO);
      const offHi = yield* readl(R.GPU_TIMESTAMP_OFFSET_HI);
      const value = { timestamp_frequency: d.model.timestamp_frequency_hz, current_timestamp: hi * 2 ** 32 + lo, timestamp_offset: offHi * 2 ** 32 + offLo };
      return { bytes: new Uint8Array(encodeStruct(DRM_PANTHOR_TIMESTAMP_INFO, value)), minSize: fieldEnd(DRM_PANTHOR_TIMESTAMP_INFO, "current_timestamp") };
    }
    case DRM_PANTHOR_DEV_QUERY.GROUP_PRIORITIES_INFO: {
      const bytes = new Uint8Array(encodeStruct(DRM_PANTHOR_GROUP_PRIORITIES_INFO, { allowed_mask: UNPRIVILEGED_PRIORITIES, pad: [0, 0, 0] }));
      return { bytes, minSize: bytes.length };
    }
    default:
      return undefined;
  }
}

/** The struct size the kernel reports for `pointer == 0`, without reading any register. */
function kernelSize(type: number): number | undefined {
  if (type === DRM_PANTHOR_DEV_QUERY.GPU_INFO) return GPU_INFO_SIZE;
  if (type === DRM_PANTHOR_DEV_QUERY.CSIF_INFO) return CSIF_INFO_SIZE;
  if (type === DRM_PANTHOR_DEV_QUERY.TIMESTAMP_INFO) return DRM_PANTHOR_TIMESTAMP_INFO.size;
  if (type === DRM_PANTHOR_DEV_QUERY.GROUP_PRIORITIES_INFO) return DRM_PANTHOR_GROUP_PRIORITIES_INFO.size;
  return undefined;
}

/**
 * `panthor_ioctl_dev_query`. Out: `size` (the kernel's struct size when `pointer == 0`) or
 * `data` and `cleared` (see the module comment).
 *
 * @example devQuery(c, { type: 0, size: 0, pointer: 0 }) // { ret: 0, out: { size: 112 } }
 */
export function* devQuery(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(DevQueryArgs, raw);
  if (!a.ok) return failed(a);
  const { type, size, pointer } = a.value;
  const kSize = kernelSize(type);
  if (kSize === undefined) return fail("EINVAL");
  if (pointer === 0n) return ok({ size: kSize });
  const ans = yield* answer(c.d, type);
  if (ans === undefined) return fail("EINVAL");
  if (size < ans.minSize) return fail("EINVAL");
  if (pointer === BAD_POINTER || num(pointer) + size > 2 ** 64) return fail("EFAULT");
  const copied = ans.bytes.subarray(0, Math.min(size, ans.bytes.length));
  return ok({ data: encodeBytes(copied), cleared: size - copied.length });
}
