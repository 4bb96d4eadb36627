import { encodeStruct } from "../../shared/gpu/structLayout.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { CSG_CONTROL, CSG_INPUT, CSG_OUTPUT, CS_CONTROL, CS_INPUT, CS_OUTPUT, GLB_CONTROL, GLB_INPUT, GLB_OUTPUT } from "./interfaces.ts";
import { encodeCsFeatures, encodeIfaceVersion } from "./interfaceBits.ts";

/**
 * Where the firmware puts its interface blocks inside the MCU shared region, and the control
 * blocks it writes there at boot (panthor.md §3.2; `panthor_fw_init_ifaces`):
 *
 * - GLB control at `shared + 0`;
 * - CSG *i* control at `shared + 0x1000 + i × group_stride` (`CSF_GROUP_CONTROL_OFFSET`);
 * - CS *j* control at `CSG control + 0x40 + j × stream_stride` (`CSF_STREAM_CONTROL_OFFSET`);
 * - every control block names the MCU VAs of its input and output blocks.
 *
 * The strides and the placement of input/output blocks are the firmware's choice and are not
 * documented: tyrsim uses a 16-byte stream stride, a group stride rounded to 256 bytes, and one
 * 256-byte slot per input/output block in two page-aligned areas (inputs, then outputs) after the
 * control area. All addresses are 32-bit MCU VAs.
 */

/** `CSF_MCU_SHARED_REGION_START`: MCU VA of the interface section (panthor_fw.c). */
export const CSF_MCU_SHARED_REGION_START = 0x0400_0000;
/** `CSF_MCU_SHARED_REGION_SIZE`: the shared VA range; kernel FW BOs are auto-placed after the section. */
export const CSF_MCU_SHARED_REGION_SIZE = 0x0400_0000;
/** `CSF_GROUP_CONTROL_OFFSET`. */
export const CSF_GROUP_CONTROL_OFFSET = 0x1000;
/** `CSF_STREAM_CONTROL_OFFSET`. */
export const CSF_STREAM_CONTROL_OFFSET = 0x40;

const STREAM_STRIDE = 0x10;
const BLOCK_SLOT = 0x100;
const PAGE = 0x1000;
const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** The three blocks of one interface, as MCU VAs. */
export interface IfaceBlocks {
  readonly control: number;
  readonly input: number;
  readonly output: number;
}

/** Interface blocks of one CSG slot and its CS slots. */
export interface CsgBlocks extends IfaceBlocks {
  readonly cs: readonly IfaceBlocks[];
}

/** The layout of the shared section for a model's slot counts. */
export interface SharedRegionLayout {
  readonly base: number;
  /** Section size in bytes (page multiple). */
  readonly size: number;
  readonly groupStride: number;
  readonly streamStride: number;
  readonly glb: IfaceBlocks;
  readonly csg: readonly CsgBlocks[];
}

/** The slot counts the layout depends on (the model's `firmware` block). */
export type FirmwareSlots = Pick<GpuModel["firmware"], "csg_slot_count" | "cs_per_csg">;

/** Lay out the shared section for `csg_slot_count` CSGs of `cs_per_csg` streams each. */
export function sharedRegionLayout(fw: FirmwareSlots, base = CSF_MCU_SHARED_REGION_START): SharedRegionLayout {
  const groups = fw.csg_slot_count;
  const streams = fw.cs_per_csg;
  const groupStride = alignUp(CSF_STREAM_CONTROL_OFFSET + streams * STREAM_STRIDE, BLOCK_SLOT);
  const inputArea = alignUp(CSF_GROUP_CONTROL_OFFSET + groups * groupStride, PAGE);
  const blocks = 1 + groups * (1 + streams);
  const outputArea = inputArea + alignUp(blocks * BLOCK_SLOT, PAGE);
  const size = outputArea + alignUp(blocks * BLOCK_SLOT, PAGE);
  let slot = 0;
  const next = (control: number): IfaceBlocks => {
    const b = { control: base + control, input: base + inputArea + slot * BLOCK_SLOT, output: base + outputArea + slot * BLOCK_SLOT };
    slot++;
    return b;
  };
  const glb = next(0);
  const csg = Array.from({ length: groups }, (_, i) => {
    const control = CSF_GROUP_CONTROL_OFFSET + i * groupStride;
    const g = next(control);
    const cs = Array.from({ length: streams }, (_, j) => next(control + CSF_STREAM_CONTROL_OFFSET + j * STREAM_STRIDE));
    return { ...g, cs };
  });
  return { base, size, groupStride, streamStride: STREAM_STRIDE, glb, csg };
}

/**
 * CSG suspend-buffer size the firmware reports: a guess (real values are firmware-internal) —
 * each stream's registers plus 1 KiB of state, page-rounded.
 */
export function csgSuspendSize(fw: Pick<GpuModel["firmware"], "cs_per_csg" | "cs_reg_count">): number {
  return alignUp(fw.cs_per_csg * (fw.cs_reg_count * 4 + 0x400), PAGE);
}

/**
 * The section contents after the firmware booted: every control block filled in from the
 * model (version, features, slot counts, strides, input/output VAs); input and output blocks
 * zero (their sizes: {@link GLB_INPUT} … {@link CS_OUTPUT}, each within its 256-byte slot).
 */
export function writeControlBlocks(fw: GpuModel["firmware"], layout: SharedRegionLayout): Uint8Array {
  const out = new Uint8Array(layout.size);
  const put = (va: number, bytes: ArrayBuffer) => out.set(new Uint8Array(bytes), va - layout.base);
  put(layout.glb.control, encodeStruct(GLB_CONTROL, {
    version: encodeIfaceVersion(fw.interface_version), features: fw.features, input_va: layout.glb.input, output_va: layout.glb.output,
    group_num: layout.csg.length, group_stride: layout.groupStride, perfcnt_size: 0, instr_features: fw.instr_features,
  }));
  const csFeatures = encodeCsFeatures(fw.cs_reg_count, fw.scoreboard_slot_count);
  for (const g of layout.csg) {
    put(g.control, encodeStruct(CSG_CONTROL, {
      features: 0, input_va: g.input, output_va: g.output, suspend_size: csgSuspendSize(fw), protm_suspend_size: csgSuspendSize(fw),
      stream_num: g.cs.length, stream_stride: layout.streamStride,
    }));
    for (const c of g.cs) put(c.control, encodeStruct(CS_CONTROL, { features: csFeatures, input_va: c.input, output_va: c.output }));
  }
  return out;
}

/** Largest input/output block, checked against the 256-byte slot at module load. */
const LARGEST_BLOCK = Math.max(GLB_INPUT.size, GLB_OUTPUT.size, CSG_INPUT.size, CSG_OUTPUT.size, CS_INPUT.size, CS_OUTPUT.size);
if (LARGEST_BLOCK > BLOCK_SLOT) throw new Error(`interface block of ${LARGEST_BLOCK} bytes exceeds its ${BLOCK_SLOT}-byte slot`);
