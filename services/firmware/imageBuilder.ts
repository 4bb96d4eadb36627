import { encodeStruct } from "../../shared/gpu/structLayout.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { encodeFirmwareDescriptor, firmwareDescriptor } from "./firmwareDescriptor.ts";
import {
  BUILD_INFO_HDR, CSF_FW_BINARY_ENTRY, CSF_FW_BINARY_ENTRY_TYPE, CSF_FW_BINARY_HEADER_MAGIC, FW_BINARY_HDR, GIT_SHA_HEADER,
  IFACE_ENTRY, MAX_ENTRY_SIZE, SECTION_ENTRY_HDR, entryHeader,
} from "./imageFormat.ts";
import { CSF_MCU_SHARED_REGION_START, sharedRegionLayout } from "./sharedRegion.ts";

/**
 * Builds `mali_csffw.bin`-format images (panthor.md §3.1): {@link assembleFirmwareImage} lays
 * out any entry list (tests use it to craft corrupt images); {@link buildFirmwareImage} makes the
 * image tyrsim ships for a GPU model, with the sections the driver must map:
 *
 * | section | MCU VA | flags |
 * |---|---|---|
 * | `tyrsim.text` | 0x00000000–0x00010000 | RD EX, CACHED (a Cortex-M vector table and an idle loop) |
 * | `tyrsim.data` | 0x00100000–0x00110000 | RD WR, CACHED, ZERO (starts with the boot descriptor) |
 * | `tyrsim.shared` | 0x04000000–+layout size | RD WR, SHARED, ZERO, uncached (the interface region) |
 *
 * plus a TRACE_BUFFER entry (skipped by panthor, as real images' are) and BUILD_INFO_METADATA
 * carrying a deterministic "git_sha". The code and data VAs are tyrsim's choice (the MCU, a
 * Cortex-M7-class core, boots from its vector table at VA 0); only the shared-region VA is fixed
 * by the kernel.
 */

/** One entry to lay out. */
export type ImageEntrySpec =
  | { readonly kind: "section"; readonly name: string; readonly flags: number; readonly va: { readonly start: number; readonly end: number }; readonly data?: Uint8Array; readonly optional?: boolean }
  | { readonly kind: "buildInfo"; readonly gitSha: string }
  | { readonly kind: "raw"; readonly type: number; readonly optional?: boolean; readonly payload?: Uint8Array };

/** A whole image: header fields and entries in file order. */
export interface ImageSpec {
  readonly major?: number;
  readonly minor?: number;
  readonly versionHash?: number;
  readonly entries: readonly ImageEntrySpec[];
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;
const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Lay out header, entry table (`hdr.size` ends it), then section data and build-info strings. */
export function assembleFirmwareImage(spec: ImageSpec): Uint8Array {
  const blobs: Uint8Array[] = spec.entries.map((e) =>
    e.kind === "section" ? (e.data ?? new Uint8Array(0)) : e.kind === "buildInfo" ? bytesOf(`${GIT_SHA_HEADER}${e.gitSha}\0`) : new Uint8Array(0),
  );
  const payloadSize = (e: ImageEntrySpec): number =>
    e.kind === "section" ? SECTION_ENTRY_HDR.size + align4(e.name.length) : e.kind === "buildInfo" ? BUILD_INFO_HDR.size : align4(e.payload?.length ?? 0);
  const entrySizes = spec.entries.map((e) => 4 + payloadSize(e));
  entrySizes.forEach((s, i) => {
    if (s > MAX_ENTRY_SIZE) throw new RangeError(`entry ${i} is ${s} bytes; the 8-bit size field allows ${MAX_ENTRY_SIZE}`);
  });
  const entriesEnd = FW_BINARY_HDR.size + entrySizes.reduce((a, b) => a + b, 0);
  const blobAt: number[] = [];
  let end = align4(entriesEnd);
  for (const b of blobs) {
    blobAt.push(end);
    end = align4(end + b.length);
  }
  const file = new Uint8Array(end);
  const view = new DataView(file.buffer);
  file.set(new Uint8Array(encodeStruct(FW_BINARY_HDR, {
    magic: CSF_FW_BINARY_HEADER_MAGIC, minor: spec.minor ?? 0, major: spec.major ?? 0, padding1: 0,
    version_hash: spec.versionHash ?? 0, padding2: 0, size: entriesEnd,
  })));
  let at = FW_BINARY_HDR.size;
  spec.entries.forEach((e, i) => {
    const blob = blobs[i]!;
    const start = blobAt[i]!;
    const optional = (e.kind !== "buildInfo" && e.optional) ? CSF_FW_BINARY_ENTRY.OPTIONAL : 0;
    const type = e.kind === "section" ? CSF_FW_BINARY_ENTRY_TYPE.IFACE : e.kind === "buildInfo" ? CSF_FW_BINARY_ENTRY_TYPE.BUILD_INFO_METADATA : e.type;
    view.setUint32(at, entryHeader(type, entrySizes[i]!, optional), true);
    if (e.kind === "section") {
      file.set(new Uint8Array(encodeStruct(SECTION_ENTRY_HDR, {
        flags: e.flags >>> 0, va_start: e.va.start, va_end: e.va.end, data_start: start, data_end: start + blob.length,
      })), at + 4);
      file.set(bytesOf(e.name), at + 4 + SECTION_ENTRY_HDR.size);
    } else if (e.kind === "buildInfo") {
      file.set(new Uint8Array(encodeStruct(BUILD_INFO_HDR, { meta_start: start, meta_size: blob.length })), at + 4);
    } else if (e.payload !== undefined) {
      file.set(e.payload, at + 4);
    }
    file.set(blob, start);
    at += entrySizes[i]!;
  });
  return file;
}

/** FNV-1a over a string, for deterministic hashes and the fake git SHA. */
function fnv1a(s: string, seed = 0x811c_9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x0100_0193) >>> 0;
  return h;
}

/** MCU VA range of tyrsim's code section (tyrsim's choice; the Cortex-M vector table sits at VA 0). */
export const MCU_CODE_VA = { start: 0x0000_0000, end: 0x0001_0000 } as const;
/** MCU VA range of tyrsim's data section (tyrsim's choice), which starts with the boot descriptor. */
export const MCU_DATA_VA = { start: 0x0010_0000, end: 0x0011_0000 } as const;

/** A Cortex-M vector table (initial SP = top of data, every vector → an idle `b .` loop at 0x40). */
function codeBlob(): Uint8Array {
  const out = new Uint8Array(0x100);
  const view = new DataView(out.buffer);
  view.setUint32(0, MCU_DATA_VA.end, true);
  for (let v = 1; v < 16; v++) view.setUint32(4 * v, 0x40 | 1, true); // Thumb bit set
  view.setUint16(0x40, 0xe7fe, true); // b .
  return out;
}

/**
 * The firmware image for `model` (see the module comment). Deterministic: the same model gives
 * the same bytes.
 *
 * @example parseFirmwareImage(buildFirmwareImage(model)).image.sharedSection.va.start // 0x04000000
 */
export function buildFirmwareImage(model: GpuModel): Uint8Array {
  const layout = sharedRegionLayout(model.firmware);
  const v = model.firmware.interface_version;
  const key = `${model.name}/${v.major}.${v.minor}.${v.patch}`;
  const gitSha = Array.from({ length: 5 }, (_, i) => fnv1a(key, 0x811c_9dc5 + i).toString(16).padStart(8, "0")).join("");
  return assembleFirmwareImage({
    major: 0,
    minor: 1,
    versionHash: fnv1a(key),
    entries: [
      { kind: "section", name: "tyrsim.text", flags: IFACE_ENTRY.RD | IFACE_ENTRY.EX | IFACE_ENTRY.CACHE_MODE_CACHED, va: MCU_CODE_VA, data: codeBlob() },
      {
        kind: "section", name: "tyrsim.data", flags: (IFACE_ENTRY.RD | IFACE_ENTRY.WR | IFACE_ENTRY.CACHE_MODE_CACHED) + IFACE_ENTRY.ZERO,
        va: MCU_DATA_VA, data: encodeFirmwareDescriptor(firmwareDescriptor(model)),
      },
      {
        kind: "section", name: "tyrsim.shared", flags: (IFACE_ENTRY.RD | IFACE_ENTRY.WR | IFACE_ENTRY.SHARED | IFACE_ENTRY.CACHE_MODE_NONE) + IFACE_ENTRY.ZERO,
        va: { start: CSF_MCU_SHARED_REGION_START, end: CSF_MCU_SHARED_REGION_START + layout.size },
      },
      { kind: "raw", type: CSF_FW_BINARY_ENTRY_TYPE.TRACE_BUFFER, payload: new Uint8Array(16) },
      { kind: "buildInfo", gitSha },
    ],
  });
}
