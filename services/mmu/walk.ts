/**
 * The GPU MMU's hardware page-table walk for one access: read descriptors from simulated memory
 * level by level, starting at the PGD, and either produce a physical address or a fault with the
 * Mali exception code the MMU latches in AS_FAULTSTATUS (panthor.md §2.3, §2.6). This is the
 * hardware side; `iovaToPhys` in `pageTable.ts` is the driver's software view of the same bytes.
 *
 * Fault rules (ARM VMSA as Mali implements it):
 * - input address at or above 2^ias → ADDR_SIZE_FAULT_IN (unverified: Mali may report a level-0
 *   translation fault instead);
 * - invalid descriptor (bit 0 clear), a block at level 0, or the reserved type at level 3 →
 *   TRANSLATION_FAULT_<level> (0xC0 + level);
 * - stage-1 leaf with AF clear → ACCESS_FLAG_<level> (0xD8 + level). io-pgtable always sets AF
 *   for stage-1 and the Mali format has no AF, so only a corrupted descriptor triggers this;
 * - permission (write to read-only, execute of XN, and for Mali a read without HAP read) →
 *   PERM_FAULT_<level> (0xC8 + level);
 * - a table address outside RAM → GPU_BUS_FAULT (0x80), the walk's read being a bus error.
 *
 * Simplified: no hierarchical table permissions (APTable/XNTable; io-pgtable never sets them),
 * no TRANSCFG knobs (DISABLE_AF_FAULT, WXN, XREADABLE), no output-address-size faults, no memory
 * attribute faults; an atomic needs read and write permission.
 */
import { EXCEPTION, permissionFault, translationFault } from "../../shared/gpu/exceptions.ts";
import { PhysicalAddressError } from "../../shared/gpu/physicalMemory.ts";
import { AS_FAULT_ACCESS } from "../../shared/gpu/registerFields.ts";
import { ARM_LPAE_MAX_LEVELS, blockSize, lvlIdx } from "./lpaeGeometry.ts";
import { decodePte } from "./pteFormat.ts";
import { readPte, type PageTable } from "./pageTable.ts";

/** The kind of GPU memory access, as AS_FAULTSTATUS access type [9:8] names them. */
export type MmuAccess = "read" | "write" | "execute" | "atomic";

/** AS_FAULTSTATUS access-type code of an access. */
export const ACCESS_TYPE: Readonly<Record<MmuAccess, number>> = {
  read: AS_FAULT_ACCESS.READ,
  write: AS_FAULT_ACCESS.WRITE,
  execute: AS_FAULT_ACCESS.EX,
  atomic: AS_FAULT_ACCESS.ATOMIC,
};

/** Permissions of a leaf, as a TLB entry caches them. */
export interface LeafPermissions {
  readonly read: boolean;
  readonly write: boolean;
  readonly execute: boolean;
}

/** A successful translation. */
export interface Translation {
  readonly ok: true;
  readonly pa: number;
  /** Level of the leaf (1: 1 GiB block, 2: 2 MiB block, 3: 4 KiB page). */
  readonly level: number;
  /** Bytes the leaf covers. */
  readonly leafSize: number;
  readonly perms: LeafPermissions;
}

/** What went wrong, in the words of the exception names. */
export type MmuFaultKind = "translation" | "permission" | "access" | "addressSize" | "bus";

/** A fault as the MMU reports it in AS_FAULTSTATUS / AS_FAULTADDRESS. */
export interface MmuFault {
  readonly ok: false;
  readonly kind: MmuFaultKind;
  /** Page-table level where the walk stopped. */
  readonly level: number;
  /** AS_FAULTSTATUS[7:0], e.g. 0xC3 TRANSLATION_FAULT_3. */
  readonly exceptionType: number;
  /** AS_FAULTSTATUS[9:8]: ATOMIC 0, EXECUTE 1, READ 2, WRITE 3. */
  readonly accessType: number;
  /** AS_FAULTADDRESS: the faulting GPU VA. */
  readonly address: number;
}

/** Either a translation or a fault. */
export type WalkResult = Translation | MmuFault;

/** Build a fault result. */
export function mmuFault(kind: MmuFaultKind, level: number, exceptionType: number, access: MmuAccess, address: number): MmuFault {
  return { ok: false, kind, level, exceptionType, accessType: ACCESS_TYPE[access], address };
}

/** Whether `perms` allow `access`; the fault kind/code is the caller's (level-dependent) business. */
export function permits(perms: LeafPermissions, access: MmuAccess): boolean {
  switch (access) {
    case "read":
      return perms.read;
    case "write":
      return perms.write;
    case "execute":
      return perms.execute;
    case "atomic":
      return perms.read && perms.write;
  }
}

/**
 * Walk `pt` for one `access` at GPU VA `iova`, reading descriptors from memory; no TLB (see
 * `tlb.ts`). Mirrors what the MMU does for an AS in ADRMODE_AARCH64_4K (stage-1 format) or
 * ADRMODE_TABLE (Mali LPAE format).
 */
export function walk(pt: PageTable, iova: number, access: MmuAccess): WalkResult {
  if (!Number.isSafeInteger(iova) || iova < 0 || iova >= 2 ** pt.cfg.ias) {
    return mmuFault("addressSize", pt.geo.startLevel, EXCEPTION.ADDR_SIZE_FAULT_IN, access, iova);
  }
  let tablePa = pt.pgdPa;
  for (let lvl = pt.geo.startLevel; lvl < ARM_LPAE_MAX_LEVELS; lvl++) {
    let pte: bigint;
    try {
      pte = readPte(pt, tablePa, lvlIdx(pt.geo, iova, lvl));
    } catch (e) {
      if (e instanceof PhysicalAddressError) return mmuFault("bus", lvl, EXCEPTION.GPU_BUS_FAULT, access, iova);
      throw e;
    }
    const d = decodePte(pt.cfg.fmt, pte, lvl);
    if (d.kind === "table") {
      tablePa = d.address;
      continue;
    }
    if (d.kind === "invalid" || d.kind === "reserved") return mmuFault("translation", lvl, translationFault(lvl), access, iova);
    if (!d.accessFlag) return mmuFault("access", lvl, EXCEPTION.ACCESS_FLAG_1 + lvl - 1, access, iova);
    const perms = { read: d.read, write: d.write, execute: d.execute };
    if (!permits(perms, access)) return mmuFault("permission", lvl, permissionFault(lvl), access, iova);
    const size = blockSize(lvl);
    return { ok: true, pa: d.address - (d.address % size) + (iova % size), level: lvl, leafSize: size, perms };
  }
  // Unreachable: level 3 descriptors are pages, reserved or invalid.
  throw new Error("page-table walk ran past level 3");
}
