import { ERRNO } from "../../shared/gpu/errno.ts";
import { decodeStruct } from "../../shared/gpu/structLayout.ts";
import {
  BUILD_INFO_HDR, CACHE_MODE_NAMES, CSF_FW_BINARY_ENTRY, CSF_FW_BINARY_ENTRY_TYPE, CSF_FW_BINARY_HEADER_MAGIC,
  CSF_FW_BINARY_HEADER_MAJOR_MAX, FW_BINARY_HDR, GIT_SHA_HEADER, IFACE_ENTRY, IFACE_ENTRY_SUPPORTED_FLAGS, MCU_PAGE_SIZE,
  SECTION_ENTRY_HDR,
} from "./imageFormat.ts";
import { CSF_MCU_SHARED_REGION_START } from "./sharedRegion.ts";

/**
 * The firmware image parser: `panthor_fw_load()` / `panthor_fw_load_entry()` /
 * `panthor_fw_load_section_entry()` / `panthor_fw_read_build_info()` (panthor_fw.c;
 * panthor.md §3.1) as a pure function over the file's bytes, with each kernel check in the
 * kernel's order, its message, and -EINVAL. It returns what the driver must map (sections with
 * their MCU VA ranges, flags and initial data) instead of creating BOs.
 *
 * One deliberate difference: for `hdr.size > file size` the kernel logs "Firmware image is
 * truncated" but returns 0 (it jumps out before setting an error); here it is an error.
 */

/** Why an image was rejected. */
export type FirmwareImageErrorReason =
  | "tooSmall" | "badMagic" | "unsupportedVersion" | "truncated" | "entryMisaligned" | "entryTooLong"
  | "dataEndBeforeStart" | "vaEndBeforeStart" | "dataBeyondFile" | "vaNotPageAligned" | "unsupportedFlags"
  | "sharedNotShared" | "unsupportedEntryType" | "noSharedRegion";

/** A rejected image: the reason, the file offset being read, the kernel's message, -EINVAL. */
export class FirmwareImageError extends Error {
  override readonly name = "FirmwareImageError";
  readonly errno = ERRNO.EINVAL;
  constructor(
    readonly reason: FirmwareImageErrorReason,
    readonly offset: number,
    message: string,
  ) {
    super(`${message} (at file offset 0x${offset.toString(16)})`);
  }
}

/** One IFACE section the driver maps at `va` in the MCU VM (AS0). */
export interface FirmwareSection {
  readonly name: string;
  readonly flags: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  readonly cacheMode: (typeof CACHE_MODE_NAMES)[number];
  readonly shared: boolean;
  /** The rest of the section past `data` is zero-filled (`CSF_FW_BINARY_IFACE_ENTRY_ZERO`). */
  readonly zero: boolean;
  readonly va: { readonly start: number; readonly end: number };
  /** Initial contents copied to the start of the section (`data.end - data.start` bytes). */
  readonly data: Uint8Array;
}

/** An entry the kernel accepts but does not load. */
export interface SkippedEntry {
  readonly offset: number;
  readonly type: number;
  readonly reason: "protected" | "ignoredType" | "optionalUnknown";
}

/** A parsed image: what `panthor_fw_load()` would have set up. */
export interface ParsedFirmwareImage {
  readonly version: { readonly major: number; readonly minor: number };
  readonly versionHash: number;
  /** `hdr.size`: the end of the entry table. */
  readonly entriesEnd: number;
  readonly sections: readonly FirmwareSection[];
  /** The section at `CSF_MCU_SHARED_REGION_START` (`ptdev->fw->shared_section`). */
  readonly sharedSection: FirmwareSection;
  /** From BUILD_INFO_METADATA ("Firmware git sha: …"), when present and well-formed. */
  readonly gitSha?: string;
  readonly skipped: readonly SkippedEntry[];
  /** drm_warn/drm_err lines that did not fail the load. */
  readonly warnings: readonly string[];
}

/** Result of {@link parseFirmwareImage}. */
export type FirmwareImageResult = { readonly ok: true; readonly image: ParsedFirmwareImage } | { readonly ok: false; readonly error: FirmwareImageError };

class Reject extends Error {
  constructor(readonly error: FirmwareImageError) {
    super(error.message);
  }
}
const reject = (reason: FirmwareImageErrorReason, offset: number, message: string): never => {
  throw new Reject(new FirmwareImageError(reason, offset, message));
};

function ascii(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/**
 * Parse a firmware image. Never throws for bad input: a malformed image answers
 * `{ ok: false, error }`.
 *
 * @example parseFirmwareImage(buildFirmwareImage(model)).ok // true
 */
export function parseFirmwareImage(file: Uint8Array): FirmwareImageResult {
  try {
    return { ok: true, image: parse(file) };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, error: e.error };
    throw e;
  }
}

function parse(file: Uint8Array): ParsedFirmwareImage {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < FW_BINARY_HDR.size) reject("tooSmall", 0, "Firmware too small");
  const hdr = decodeStruct(FW_BINARY_HDR, file.slice(0, FW_BINARY_HDR.size).buffer);
  if (hdr.magic !== CSF_FW_BINARY_HEADER_MAGIC) reject("badMagic", 0, "Invalid firmware magic");
  if (hdr.major !== CSF_FW_BINARY_HEADER_MAJOR_MAX) {
    reject("unsupportedVersion", 5, `Unsupported firmware binary header version ${hdr.major}.${hdr.minor} (expected ${CSF_FW_BINARY_HEADER_MAJOR_MAX}.x)`);
  }
  if (hdr.size > file.length) reject("truncated", 16, "Firmware image is truncated");

  const sections: FirmwareSection[] = [];
  const skipped: SkippedEntry[] = [];
  const warnings: string[] = [];
  let gitSha: string | undefined;
  let offset = FW_BINARY_HDR.size;
  while (offset < hdr.size) {
    // panthor_fw_load_entry()
    const at = offset;
    if (offset + 4 > hdr.size) reject("tooSmall", at, "Firmware too small");
    const ehdr = view.getUint32(offset, true);
    offset += 4;
    const size = (ehdr >>> CSF_FW_BINARY_ENTRY.SIZE_SHIFT) & CSF_FW_BINARY_ENTRY.SIZE_MASK;
    const type = ehdr & CSF_FW_BINARY_ENTRY.TYPE_MASK;
    if (offset % 4 !== 0 || size % 4 !== 0) {
      reject("entryMisaligned", at, `Firmware entry isn't 32 bit aligned, offset=0x${at.toString(16)} size=0x${size.toString(16)}`);
    }
    // size - sizeof(ehdr) underflows to a huge size_t in the kernel for size < 4
    if (size < 4 || offset + size - 4 > hdr.size) reject("entryTooLong", at, "Firmware entry too long");
    const payload = file.subarray(offset, offset + size - 4);
    offset += size - 4;
    if (type === CSF_FW_BINARY_ENTRY_TYPE.IFACE) {
      const s = loadSection(file, payload, at, warnings);
      if (s === undefined) skipped.push({ offset: at, type, reason: "protected" });
      else sections.push(s);
    } else if (type === CSF_FW_BINARY_ENTRY_TYPE.BUILD_INFO_METADATA) {
      gitSha = readBuildInfo(file, payload, at, warnings) ?? gitSha;
    } else if (([1, 2, 3, 4] as number[]).includes(type)) {
      skipped.push({ offset: at, type, reason: "ignoredType" });
    } else if ((ehdr & CSF_FW_BINARY_ENTRY.OPTIONAL) !== 0) {
      skipped.push({ offset: at, type, reason: "optionalUnknown" });
    } else {
      reject("unsupportedEntryType", at, `Unsupported non-optional entry type ${type} in firmware`);
    }
  }
  const sharedSection = sections.find((s) => s.va.start === CSF_MCU_SHARED_REGION_START);
  if (sharedSection === undefined) return reject("noSharedRegion", offset, "Shared interface region not found");
  return {
    version: { major: hdr.major, minor: hdr.minor }, versionHash: hdr.version_hash, entriesEnd: hdr.size,
    sections, sharedSection, skipped, warnings, ...(gitSha !== undefined ? { gitSha } : {}),
  };
}

/** `panthor_fw_load_section_entry()`; undefined for a protected-mode section (skipped with a warning). */
function loadSection(file: Uint8Array, payload: Uint8Array, at: number, warnings: string[]): FirmwareSection | undefined {
  if (payload.length < SECTION_ENTRY_HDR.size) reject("tooSmall", at, "Firmware too small");
  const h = decodeStruct(SECTION_ENTRY_HDR, payload.slice(0, SECTION_ENTRY_HDR.size).buffer);
  const hex = (v: number) => `0x${v.toString(16)}`;
  if (h.data_end < h.data_start) reject("dataEndBeforeStart", at, `Firmware corrupted, data.end < data.start (${hex(h.data_end)} < ${hex(h.data_start)})`);
  if (h.va_end < h.va_start) reject("vaEndBeforeStart", at, `Firmware corrupted, hdr.va.end < hdr.va.start (${hex(h.va_end)} < ${hex(h.va_start)})`);
  if (h.data_end > file.length) reject("dataBeyondFile", at, `Firmware corrupted, file truncated? data_end=${hex(h.data_end)} > fw size=${hex(file.length)}`);
  if (h.va_start % MCU_PAGE_SIZE !== 0 || h.va_end % MCU_PAGE_SIZE !== 0) {
    reject("vaNotPageAligned", at, `Firmware corrupted, virtual addresses not page aligned: ${hex(h.va_start)}-${hex(h.va_end)}`);
  }
  if ((h.flags & ~IFACE_ENTRY_SUPPORTED_FLAGS) !== 0) reject("unsupportedFlags", at, `Firmware contains interface with unsupported flags (${hex(h.flags)})`);
  if (h.flags & IFACE_ENTRY.PROT) {
    warnings.push("Firmware protected mode entry not be supported, ignoring");
    return undefined;
  }
  if (h.va_start === CSF_MCU_SHARED_REGION_START && (h.flags & IFACE_ENTRY.SHARED) === 0) {
    reject("sharedNotShared", at, `Interface at ${hex(CSF_MCU_SHARED_REGION_START)} must be shared`);
  }
  const rawName = ascii(payload.subarray(SECTION_ENTRY_HDR.size));
  const nul = rawName.indexOf("\0"); // the kernel NUL-terminates a copy, so padding NULs end the name
  return {
    name: nul < 0 ? rawName : rawName.slice(0, nul),
    flags: h.flags >>> 0,
    read: (h.flags & IFACE_ENTRY.RD) !== 0,
    write: (h.flags & IFACE_ENTRY.WR) !== 0,
    exec: (h.flags & IFACE_ENTRY.EX) !== 0,
    cacheMode: CACHE_MODE_NAMES[(h.flags & IFACE_ENTRY.CACHE_MODE_MASK) >>> 3]!,
    shared: (h.flags & IFACE_ENTRY.SHARED) !== 0,
    zero: (h.flags >>> 31) === 1,
    va: { start: h.va_start, end: h.va_end },
    data: file.slice(h.data_start, h.data_end),
  };
}

/** `panthor_fw_read_build_info()`: never fatal; a malformed entry only warns. */
function readBuildInfo(file: Uint8Array, payload: Uint8Array, at: number, warnings: string[]): string | undefined {
  if (payload.length < BUILD_INFO_HDR.size) reject("tooSmall", at, "Firmware too small");
  const h = decodeStruct(BUILD_INFO_HDR, payload.slice(0, BUILD_INFO_HDR.size).buffer);
  if (h.meta_start > file.length || h.meta_start + h.meta_size > file.length) {
    warnings.push("Firmware build info corrupt");
    return undefined;
  }
  const meta = file.subarray(h.meta_start, h.meta_start + h.meta_size);
  if (ascii(meta.subarray(0, GIT_SHA_HEADER.length)) !== GIT_SHA_HEADER) return undefined;
  if (meta[meta.length - 1] !== 0) {
    warnings.push("Firmware's git sha is not NULL terminated");
    return undefined;
  }
  return ascii(meta.subarray(GIT_SHA_HEADER.length, meta.length - 1));
}
