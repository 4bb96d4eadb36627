import { ERRNO } from "../../shared/gpu/errno.ts";
import { csifInfoFromFirmware, MAX_CSGS, type DrmPanthorCsifInfo } from "../../shared/gpu/gpuInfo.ts";
import { decodeStruct } from "../../shared/gpu/structLayout.ts";
import { CSG_CONTROL, CS_CONTROL, GLB_CONTROL } from "./interfaces.ts";
import { decodeCsFeatures, decodeIfaceVersion, encodeIfaceVersion } from "./interfaceBits.ts";
import { CSF_GROUP_CONTROL_OFFSET, CSF_STREAM_CONTROL_OFFSET, type IfaceBlocks } from "./sharedRegion.ts";

/**
 * The driver's reading of the shared region after boot, mirroring `panthor_fw_init_ifaces()`,
 * `panthor_init_csg_iface()` and `panthor_init_cs_iface()` (panthor_fw.c; panthor.md §3.2):
 * every check the kernel makes, in its order, with its log message and -EINVAL.
 */

/** `MIN_CSGS` (panthor_fw.c): fewest CSG slots panthor accepts. */
export const MIN_CSGS = 3;
/** `MIN_CS_PER_CSG` (panthor_fw.c): fewest streams per CSG panthor accepts. */
export const MIN_CS_PER_CSG = 8;
/** `MAX_CS_PER_CSG` (panthor_fw.h). */
export const MAX_CS_PER_CSG = 32;
/**
 * `sizeof(struct panthor_fw_csg_iface)` / `panthor_fw_cs_iface` on arm64 (a spinlock and three
 * pointers), which the kernel — oddly — uses in its "block inside the section" check.
 */
const KERNEL_IFACE_STRUCT_SIZE = 32;

/** Why discovery failed. */
export type InterfaceDiscoveryReason =
  | "notBooted" | "badGlbIfaceVa" | "badGroupNum" | "csgOutsideRegion" | "badStreamNum" | "badCsgIfaceVa"
  | "csgNotIdentical" | "csOutsideRegion" | "badCsIfaceVa" | "csNotIdentical";

/** A failed discovery: the kernel's message and errno (always EINVAL). */
export class InterfaceDiscoveryError extends Error {
  override readonly name = "InterfaceDiscoveryError";
  readonly errno = ERRNO.EINVAL;
  constructor(
    readonly reason: InterfaceDiscoveryReason,
    message: string,
    readonly csg?: number,
    readonly cs?: number,
  ) {
    super(message);
  }
}

/** One discovered CS slot. */
export interface DiscoveredCs extends IfaceBlocks {
  readonly features: number;
}

/** One discovered CSG slot. */
export interface DiscoveredCsg extends IfaceBlocks {
  readonly features: number;
  readonly suspendSize: number;
  readonly protmSuspendSize: number;
  readonly streamStride: number;
  readonly cs: readonly DiscoveredCs[];
}

/** What the driver learns from the interface: versions, slots, block VAs, and csif_info. */
export interface DiscoveredInterfaces {
  readonly version: { readonly major: number; readonly minor: number; readonly patch: number };
  readonly features: number;
  /** 0 before interface 1.1.0 (`panthor_get_instr_features`). */
  readonly instrFeatures: number;
  readonly groupStride: number;
  readonly glb: IfaceBlocks;
  readonly csg: readonly DiscoveredCsg[];
  readonly csifInfo: DrmPanthorCsifInfo;
}

/** Result of {@link discoverInterfaces}. */
export type DiscoveryResult = { readonly ok: true; readonly value: DiscoveredInterfaces } | { readonly ok: false; readonly error: InterfaceDiscoveryError };

/**
 * Read the interface blocks from the shared section's bytes (`region`, mapped at MCU VA `base`).
 *
 * @example discoverInterfaces(writeControlBlocks(model.firmware, layout), layout.base)
 */
export function discoverInterfaces(region: Uint8Array, base: number): DiscoveryResult {
  const fail = (reason: InterfaceDiscoveryReason, message: string, csg?: number, cs?: number): DiscoveryResult => ({
    ok: false, error: new InterfaceDiscoveryError(reason, message, csg, cs),
  });
  const at = (offset: number, len: number): ArrayBuffer => region.slice(offset, offset + len).buffer;
  const inRegion = (va: number): boolean => va >= base && va < base + region.length;

  const glb = decodeStruct(GLB_CONTROL, at(0, GLB_CONTROL.size));
  if (glb.version === 0) return fail("notBooted", "Firmware version is 0. Firmware may have failed to boot");
  if (!inRegion(glb.input_va) || !inRegion(glb.output_va)) return fail("badGlbIfaceVa", "Invalid global control interface input/output VA");
  if (glb.group_num > MAX_CSGS || glb.group_num < MIN_CSGS) return fail("badGroupNum", "Invalid number of control groups");

  const csgs: DiscoveredCsg[] = [];
  for (let i = 0; i < glb.group_num; i++) {
    const off = CSF_GROUP_CONTROL_OFFSET + i * glb.group_stride;
    if (off + KERNEL_IFACE_STRUCT_SIZE >= region.length) return fail("csgOutsideRegion", `CSG ${i} control block lies outside the shared section`, i);
    const c = decodeStruct(CSG_CONTROL, at(off, CSG_CONTROL.size));
    if (c.stream_num < MIN_CS_PER_CSG || c.stream_num > MAX_CS_PER_CSG) return fail("badStreamNum", `CSG ${i} has ${c.stream_num} streams`, i);
    if (!inRegion(c.input_va) || !inRegion(c.output_va)) return fail("badCsgIfaceVa", "Invalid group control interface input/output VA", i);
    const first = csgs[0];
    const same = first === undefined || (first.features === c.features && first.suspendSize === c.suspend_size
      && first.protmSuspendSize === c.protm_suspend_size && first.cs.length === c.stream_num);
    if (!same) return fail("csgNotIdentical", "Expecting identical CSG slots", i);
    const streams: DiscoveredCs[] = [];
    for (let j = 0; j < c.stream_num; j++) {
      const cOff = off + CSF_STREAM_CONTROL_OFFSET + j * c.stream_stride;
      if (cOff + KERNEL_IFACE_STRUCT_SIZE >= region.length) return fail("csOutsideRegion", `CS ${i}.${j} control block lies outside the shared section`, i, j);
      const s = decodeStruct(CS_CONTROL, at(cOff, CS_CONTROL.size));
      if (!inRegion(s.input_va) || !inRegion(s.output_va)) return fail("badCsIfaceVa", "Invalid stream control interface input/output VA", i, j);
      const firstCs = csgs[0]?.cs[0] ?? streams[0];
      if (firstCs !== undefined && firstCs.features !== s.features) return fail("csNotIdentical", "Expecting identical CS slots", i, j);
      streams.push({ control: base + cOff, input: s.input_va, output: s.output_va, features: s.features });
    }
    csgs.push({
      control: base + off, input: c.input_va, output: c.output_va, features: c.features, suspendSize: c.suspend_size,
      protmSuspendSize: c.protm_suspend_size, streamStride: c.stream_stride, cs: streams,
    });
  }

  const cs0 = decodeCsFeatures(csgs[0]!.cs[0]!.features);
  return {
    ok: true,
    value: {
      version: decodeIfaceVersion(glb.version),
      features: glb.features,
      instrFeatures: glb.version < encodeIfaceVersion({ major: 1, minor: 1, patch: 0 }) ? 0 : glb.instr_features,
      groupStride: glb.group_stride,
      glb: { control: base, input: glb.input_va, output: glb.output_va },
      csg: csgs,
      csifInfo: csifInfoFromFirmware({ group_num: glb.group_num, stream_num: csgs[0]!.cs.length, cs_reg_count: cs0.workRegs, scoreboard_slot_count: cs0.scoreboards }),
    },
  };
}
