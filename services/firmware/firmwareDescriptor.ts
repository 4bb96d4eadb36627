import { decodeStruct, defineStruct, encodeStruct, type StructOf } from "../../shared/gpu/structLayout.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { encodeCsFeatures, encodeIfaceVersion } from "./interfaceBits.ts";
import { sharedRegionLayout } from "./sharedRegion.ts";

/**
 * tyrsim's own boot descriptor, stored at the start of the image's data section. Real CSF
 * firmware is Arm's closed binary whose code *is* its configuration; tyrsim's MCU has no code to
 * run, so the simulated MCU reads this descriptor through the MMU at the data section's VA when
 * it boots. That keeps the chicken-and-egg honest: no image mapped at its VA, no descriptor, no
 * boot. The kernel never reads it (panthor treats section contents as opaque).
 */
export const TYRSIM_CSF_DESCRIPTOR = defineStruct("tyrsim_csf_descriptor", [
  { name: "magic", type: "u32" },
  { name: "descriptor_version", type: "u32" },
  { name: "iface_version", type: "u32" },
  { name: "features", type: "u32" },
  { name: "instr_features", type: "u32" },
  { name: "group_num", type: "u32" },
  { name: "stream_num", type: "u32" },
  { name: "cs_features", type: "u32" },
  { name: "shared_size", type: "u32" },
] as const);

/** The descriptor as plain data. */
export type TyrsimCsfDescriptor = StructOf<typeof TYRSIM_CSF_DESCRIPTOR.fields>;

/** "TCSF" little-endian. */
export const TYRSIM_CSF_DESCRIPTOR_MAGIC = 0x4653_4354;

/** The descriptor for a model's firmware block. */
export function firmwareDescriptor(model: GpuModel): TyrsimCsfDescriptor {
  const fw = model.firmware;
  return {
    magic: TYRSIM_CSF_DESCRIPTOR_MAGIC,
    descriptor_version: 1,
    iface_version: encodeIfaceVersion(fw.interface_version),
    features: fw.features,
    instr_features: fw.instr_features,
    group_num: fw.csg_slot_count,
    stream_num: fw.cs_per_csg,
    cs_features: encodeCsFeatures(fw.cs_reg_count, fw.scoreboard_slot_count),
    shared_size: sharedRegionLayout(fw).size,
  };
}

/** Descriptor bytes. */
export function encodeFirmwareDescriptor(d: TyrsimCsfDescriptor): Uint8Array {
  return new Uint8Array(encodeStruct(TYRSIM_CSF_DESCRIPTOR, d));
}

/** Read the descriptor from the data section's first bytes; undefined when absent or corrupt. */
export function decodeFirmwareDescriptor(bytes: Uint8Array): TyrsimCsfDescriptor | undefined {
  if (bytes.length < TYRSIM_CSF_DESCRIPTOR.size) return undefined;
  const d = decodeStruct(TYRSIM_CSF_DESCRIPTOR, bytes.slice(0, TYRSIM_CSF_DESCRIPTOR.size).buffer);
  return d.magic === TYRSIM_CSF_DESCRIPTOR_MAGIC && d.descriptor_version === 1 ? d : undefined;
}
