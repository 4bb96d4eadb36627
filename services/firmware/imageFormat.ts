import { defineStruct } from "../../shared/gpu/structLayout.ts";

/**
 * The `mali_csffw.bin` container format as `panthor_fw.c` reads it (panthor.md §3.1): a 20-byte
 * header (`struct panthor_fw_binary_hdr`), then entries up to `hdr.size`, each a u32 entry
 * header followed by its payload; section data lives after the entry table, addressed by file
 * offsets. Little-endian throughout.
 */

/** `CSF_FW_BINARY_HEADER_MAGIC`. */
export const CSF_FW_BINARY_HEADER_MAGIC = 0xc3f1_3a6e;
/** `CSF_FW_BINARY_HEADER_MAJOR_MAX`: the only header major version panthor accepts. */
export const CSF_FW_BINARY_HEADER_MAJOR_MAX = 0;

/** `struct panthor_fw_binary_hdr` (20 bytes). */
export const FW_BINARY_HDR = defineStruct("panthor_fw_binary_hdr", [
  { name: "magic", type: "u32" },
  { name: "minor", type: "u8" },
  { name: "major", type: "u8" },
  { name: "padding1", type: "u16" },
  { name: "version_hash", type: "u32" },
  { name: "padding2", type: "u32" },
  { name: "size", type: "u32" },
] as const);

/** `enum panthor_fw_binary_entry_type`. */
export const CSF_FW_BINARY_ENTRY_TYPE = {
  IFACE: 0,
  CONFIG: 1,
  FUTF_TEST: 2,
  TRACE_BUFFER: 3,
  TIMELINE_METADATA: 4,
  BUILD_INFO_METADATA: 6,
} as const;

/** Entry header bits: type [7:0], size in bytes including the header [15:8], UPDATE 30, OPTIONAL 31. */
export const CSF_FW_BINARY_ENTRY = { TYPE_MASK: 0xff, SIZE_SHIFT: 8, SIZE_MASK: 0xff, UPDATE: 1 << 30, OPTIONAL: 2 ** 31 } as const;

/** Build an entry header word. */
export function entryHeader(type: number, size: number, flags = 0): number {
  return ((type & 0xff) | ((size & 0xff) << 8) | flags) >>> 0;
}

/** `CSF_FW_BINARY_IFACE_ENTRY_*` section flags. */
export const IFACE_ENTRY = {
  RD: 1 << 0,
  WR: 1 << 1,
  EX: 1 << 2,
  CACHE_MODE_NONE: 0 << 3,
  CACHE_MODE_CACHED: 1 << 3,
  CACHE_MODE_UNCACHED_COHERENT: 2 << 3,
  CACHE_MODE_CACHED_COHERENT: 3 << 3,
  CACHE_MODE_MASK: 3 << 3,
  PROT: 1 << 5,
  SHARED: 1 << 30,
  ZERO: 2 ** 31,
} as const;

/** `CSF_FW_BINARY_IFACE_ENTRY_SUPPORTED_FLAGS`. */
export const IFACE_ENTRY_SUPPORTED_FLAGS =
  (IFACE_ENTRY.RD | IFACE_ENTRY.WR | IFACE_ENTRY.EX | IFACE_ENTRY.CACHE_MODE_MASK | IFACE_ENTRY.PROT | IFACE_ENTRY.SHARED) + IFACE_ENTRY.ZERO;

/** Cache-mode names by the value of flags [4:3]. */
export const CACHE_MODE_NAMES = ["NONE", "CACHED", "UNCACHED_COHERENT", "CACHED_COHERENT"] as const;

/** `struct panthor_fw_binary_section_entry_hdr` (20 bytes): flags, va {start, end}, data {start, end}. */
export const SECTION_ENTRY_HDR = defineStruct("panthor_fw_binary_section_entry_hdr", [
  { name: "flags", type: "u32" },
  { name: "va_start", type: "u32" },
  { name: "va_end", type: "u32" },
  { name: "data_start", type: "u32" },
  { name: "data_end", type: "u32" },
] as const);

/** `struct panthor_fw_build_info_hdr`: where the "git_sha: …\0" string sits in the file. */
export const BUILD_INFO_HDR = defineStruct("panthor_fw_build_info_hdr", [
  { name: "meta_start", type: "u32" },
  { name: "meta_size", type: "u32" },
] as const);

/** The prefix panthor expects in build-info metadata. */
export const GIT_SHA_HEADER = "git_sha: ";

/** MCU page size sections must be aligned to (`panthor_vm_page_size()` of the MCU VM). */
export const MCU_PAGE_SIZE = 4096;

/** Largest entry: the size field is 8 bits and a multiple of 4. */
export const MAX_ENTRY_SIZE = 252;
