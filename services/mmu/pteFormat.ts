/**
 * ARM LPAE descriptor format as io-pgtable writes it for a GPU, in the two flavours Mali drivers
 * use (`drivers/iommu/io-pgtable-arm.c`):
 *
 * - `ARM_64_LPAE_S1`: the AArch64 stage-1 format. **This is what panthor uses** on CSF GPUs such
 *   as Mali-G610 (`panthor_vm_create` → `alloc_io_pgtable_ops(ARM_64_LPAE_S1, …)`, AS_TRANSCFG
 *   ADRMODE_AARCH64_4K; panthor.md §5.2, kernel-tests.md PGT-M07).
 * - `ARM_MALI_LPAE`: the older Mali "LPAE" format used by panfrost (AS_TRANSTAB ADRMODE_TABLE):
 *   leaves are type 01 at every level (also level 3), permissions are stage-2-like (bit 6 read,
 *   bit 7 write), no access flag, no nG, always outer-shareable (kernel-tests.md PGT-M03/M04).
 *
 * Descriptors are bigints: bit fields above bit 31 (XN at 53–54, NSTABLE at 63) would be lost to
 * JS bit operators on numbers. Names mirror the kernel's `ARM_LPAE_PTE_*` macros.
 *
 * Simplified: no quirks (NS, ARM_HD/DBM, TTBR1, S2FWB); stage-2 formats are not modelled.
 */

/** Supported io-pgtable formats (`enum io_pgtable_fmt`). */
export const IO_PGTABLE_FMT = { ARM_64_LPAE_S1: "ARM_64_LPAE_S1", ARM_MALI_LPAE: "ARM_MALI_LPAE" } as const;
/** An io-pgtable format name. */
export type IoPgtableFmt = (typeof IO_PGTABLE_FMT)[keyof typeof IO_PGTABLE_FMT];

/** IOMMU protection flags (`include/linux/iommu.h`), the `prot` argument of map calls. */
export const IOMMU_PROT = { READ: 1 << 0, WRITE: 1 << 1, CACHE: 1 << 2, NOEXEC: 1 << 3, MMIO: 1 << 4, PRIV: 1 << 5 } as const;

/** Descriptor type field [1:0]. */
export const ARM_LPAE_PTE_TYPE_MASK = 0x3n;
/** Type 01: a block (levels 1–2), or any Mali leaf. */
export const ARM_LPAE_PTE_TYPE_BLOCK = 0x1n;
/** Type 11 above level 3: a table. */
export const ARM_LPAE_PTE_TYPE_TABLE = 0x3n;
/** Type 11 at level 3: a stage-1 page. */
export const ARM_LPAE_PTE_TYPE_PAGE = 0x3n;
/** Bit 0: the descriptor is valid. */
export const ARM_LPAE_PTE_VALID = 0x1n;

/** Table descriptor: next level is non-secure (only with the NS quirk). */
export const ARM_LPAE_PTE_NSTABLE = 1n << 63n;
/** Execute-never (UXN | PXN), both set for IOMMU_NOEXEC. */
export const ARM_LPAE_PTE_XN = 3n << 53n;
/** Dirty-bit modifier (only with the ARM_HD quirk; unused here). */
export const ARM_LPAE_PTE_DBM = 1n << 51n;
/** Access flag. */
export const ARM_LPAE_PTE_AF = 1n << 10n;
/** Shareability [9:8]: non-shareable. */
export const ARM_LPAE_PTE_SH_NS = 0n << 8n;
/** Shareability: outer (uncached stage-1 mappings; every Mali mapping). */
export const ARM_LPAE_PTE_SH_OS = 2n << 8n;
/** Shareability: inner (cacheable stage-1 mappings). */
export const ARM_LPAE_PTE_SH_IS = 3n << 8n;
/** Non-secure (only with the NS quirk). */
export const ARM_LPAE_PTE_NS = 1n << 5n;
/** Not global. */
export const ARM_LPAE_PTE_nG = 1n << 11n;
/** Stage-1 AP[1] (bit 6): unprivileged access allowed (set unless IOMMU_PRIV). */
export const ARM_LPAE_PTE_AP_UNPRIV = 1n << 6n;
/** Stage-1 AP[2] (bit 7): read-only. */
export const ARM_LPAE_PTE_AP_RDONLY = 2n << 6n;
/** Stage-2-style permissions, used by ARM_MALI_LPAE: no access. */
export const ARM_LPAE_PTE_HAP_FAULT = 0n << 6n;
/** Stage-2-style permission bit 6: read. */
export const ARM_LPAE_PTE_HAP_READ = 1n << 6n;
/** Stage-2-style permission bit 7: write. */
export const ARM_LPAE_PTE_HAP_WRITE = 2n << 6n;
/** Stage-1 AttrIndx [4:2], indexing MAIR / AS_MEMATTR: shift. */
export const ARM_LPAE_PTE_ATTRINDX_SHIFT = 2n;
/** AttrIndx mask (after shifting). */
export const ARM_LPAE_PTE_ATTRINDX_MASK = 0x7n;
/** Output address [47:12] (`ARM_LPAE_PTE_ADDR_MASK`). */
export const ARM_LPAE_PTE_ADDR_MASK = ((1n << 48n) - 1n) & ~0xfffn;

/** MAIR / AS_MEMATTR indices io-pgtable uses (`ARM_LPAE_MAIR_ATTR_IDX_*`). */
export const ARM_LPAE_MAIR_ATTR_IDX = { NC: 0, CACHE: 1, DEV: 2, INC_OWBRWA: 3 } as const;

/** AS_TRANSTAB low bits for ARM_MALI_LPAE (`ARM_MALI_LPAE_TTBR_*`). */
export const ARM_MALI_LPAE_TTBR = { ADRMODE_TABLE: 3n, READ_INNER: 1n << 2n, SHARE_OUTER: 1n << 4n } as const;
/** AS_MEMATTR bytes for ARM_MALI_LPAE (`ARM_MALI_LPAE_MEMATTR_*`). */
export const ARM_MALI_LPAE_MEMATTR = { IMP_DEF: 0x88n, WRITE_ALLOC: 0x8dn } as const;
/** The AS_MEMATTR value io-pgtable computes for ARM_MALI_LPAE: 0x888D88 (kernel-tests.md PGT-M05). */
export const ARM_MALI_LPAE_MEMATTR_VALUE =
  (ARM_MALI_LPAE_MEMATTR.IMP_DEF << 0n) | (ARM_MALI_LPAE_MEMATTR.WRITE_ALLOC << 8n) | (ARM_MALI_LPAE_MEMATTR.IMP_DEF << 16n);

/** `iopte_type(pte)`: the type field [1:0]. */
export function iopteType(pte: bigint): bigint {
  return pte & ARM_LPAE_PTE_TYPE_MASK;
}

/**
 * `iopte_leaf(pte, lvl, fmt)`: whether io-pgtable treats `pte` as a leaf. At level 3 a stage-1
 * page is type 11; everywhere else, and at every level for Mali, a leaf is type 01.
 */
export function iopteLeaf(pte: bigint, lvl: number, fmt: IoPgtableFmt): boolean {
  if (lvl === 3 && fmt !== "ARM_MALI_LPAE") return iopteType(pte) === ARM_LPAE_PTE_TYPE_PAGE;
  return iopteType(pte) === ARM_LPAE_PTE_TYPE_BLOCK;
}

/** `iopte_table(pte, lvl)`: a table descriptor (type 11 above level 3). */
export function iopteTable(pte: bigint, lvl: number): boolean {
  return lvl !== 3 && iopteType(pte) === ARM_LPAE_PTE_TYPE_TABLE;
}

/** `iopte_to_paddr(pte)` for a 4 KiB granule: the output address field. */
export function iopteToPaddr(pte: bigint): number {
  return Number(pte & ARM_LPAE_PTE_ADDR_MASK);
}

/** `paddr_to_iopte(paddr)` for a 4 KiB granule: the output address field (low bits dropped). */
export function paddrToIopte(paddr: number): bigint {
  return BigInt(paddr) & ARM_LPAE_PTE_ADDR_MASK;
}

/**
 * `arm_lpae_prot_to_pte(data, prot)`: the attribute and permission bits of a leaf for IOMMU
 * `prot` flags, without type and address. Stage-1 marks read-only with AP_RDONLY when R without
 * W; Mali sets HAP read/write bits; both use AttrIndx for MMIO/CACHE; stage-1 cacheable mappings
 * are inner-shareable, Mali always outer; only stage-1 sets AF.
 *
 * @example armLpaeProtToPte("ARM_MALI_LPAE", IOMMU_PROT.READ | IOMMU_PROT.WRITE | IOMMU_PROT.CACHE) // 0x2c4n
 */
export function armLpaeProtToPte(fmt: IoPgtableFmt, prot: number): bigint {
  let pte: bigint;
  if (fmt === "ARM_64_LPAE_S1") {
    pte = ARM_LPAE_PTE_nG;
    if (!(prot & IOMMU_PROT.WRITE) && prot & IOMMU_PROT.READ) pte |= ARM_LPAE_PTE_AP_RDONLY;
    if (!(prot & IOMMU_PROT.PRIV)) pte |= ARM_LPAE_PTE_AP_UNPRIV;
  } else {
    pte = ARM_LPAE_PTE_HAP_FAULT;
    if (prot & IOMMU_PROT.READ) pte |= ARM_LPAE_PTE_HAP_READ;
    if (prot & IOMMU_PROT.WRITE) pte |= ARM_LPAE_PTE_HAP_WRITE;
  }
  if (prot & IOMMU_PROT.MMIO) pte |= BigInt(ARM_LPAE_MAIR_ATTR_IDX.DEV) << ARM_LPAE_PTE_ATTRINDX_SHIFT;
  else if (prot & IOMMU_PROT.CACHE) pte |= BigInt(ARM_LPAE_MAIR_ATTR_IDX.CACHE) << ARM_LPAE_PTE_ATTRINDX_SHIFT;
  pte |= prot & IOMMU_PROT.CACHE && fmt !== "ARM_MALI_LPAE" ? ARM_LPAE_PTE_SH_IS : ARM_LPAE_PTE_SH_OS;
  if (prot & IOMMU_PROT.NOEXEC) pte |= ARM_LPAE_PTE_XN;
  if (fmt !== "ARM_MALI_LPAE") pte |= ARM_LPAE_PTE_AF;
  return pte;
}

/**
 * One leaf as `__arm_lpae_init_pte` writes it: `prot` bits from {@link armLpaeProtToPte}, type
 * 11 for a stage-1 level-3 page and 01 otherwise (blocks, and Mali pages), and the address.
 */
export function armLpaeInitPte(fmt: IoPgtableFmt, protPte: bigint, paddr: number, lvl: number): bigint {
  const type = fmt !== "ARM_MALI_LPAE" && lvl === 3 ? ARM_LPAE_PTE_TYPE_PAGE : ARM_LPAE_PTE_TYPE_BLOCK;
  return protPte | type | paddrToIopte(paddr);
}

/** A table descriptor pointing at the table page at `tablePa`, as `arm_lpae_install_table`. */
export function armLpaeTablePte(tablePa: number): bigint {
  return paddrToIopte(tablePa) | ARM_LPAE_PTE_TYPE_TABLE;
}

/** What a descriptor means to the GPU MMU's walker at a given level. */
export type PteKind = "invalid" | "table" | "block" | "page" | "reserved";

/** A decoded descriptor. Permissions are as the GPU MMU enforces them (see {@link decodePte}). */
export interface DecodedPte {
  readonly kind: PteKind;
  /** Output address (next table, block or page base). */
  readonly address: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly execute: boolean;
  /** Access flag; always true for Mali LPAE, which has none. */
  readonly accessFlag: boolean;
  /** AttrIndx [4:2]. */
  readonly attrIndex: number;
  /** IOMMU_PROT flags recoverable from the leaf (stage-1 R is implied, so W-only reads back as R|W). */
  readonly prot: number;
}

/**
 * Decode `pte` at level `lvl` as the GPU MMU reads it (`ENTRY_IS_*` in kbase terms): bit 0 clear
 * is invalid; above level 3, type 11 is a table and type 01 a block (a block at level 0 is
 * reserved with a 4 KiB granule); at level 3 the page type is 11 for stage-1 and 01 for Mali, the
 * other value is reserved. Stage-1 reads are always allowed (AP_UNPRIV is not checked: GPU
 * accesses are treated as permitted at either privilege, and panthor never maps IOMMU_PRIV).
 */
export function decodePte(fmt: IoPgtableFmt, pte: bigint, lvl: number): DecodedPte {
  const type = iopteType(pte);
  const mali = fmt === "ARM_MALI_LPAE";
  let kind: PteKind;
  if ((pte & ARM_LPAE_PTE_VALID) === 0n) kind = "invalid";
  else if (lvl < 3) kind = type === ARM_LPAE_PTE_TYPE_TABLE ? "table" : lvl === 0 ? "reserved" : "block";
  else kind = (mali ? type === ARM_LPAE_PTE_TYPE_BLOCK : type === ARM_LPAE_PTE_TYPE_PAGE) ? "page" : "reserved";
  const read = mali ? (pte & ARM_LPAE_PTE_HAP_READ) !== 0n : true;
  const write = mali ? (pte & ARM_LPAE_PTE_HAP_WRITE) !== 0n : (pte & ARM_LPAE_PTE_AP_RDONLY) === 0n;
  const execute = (pte & ARM_LPAE_PTE_XN) === 0n;
  const attrIndex = Number((pte >> ARM_LPAE_PTE_ATTRINDX_SHIFT) & ARM_LPAE_PTE_ATTRINDX_MASK);
  let prot = (read ? IOMMU_PROT.READ : 0) | (write ? IOMMU_PROT.WRITE : 0) | (execute ? 0 : IOMMU_PROT.NOEXEC);
  if (attrIndex === ARM_LPAE_MAIR_ATTR_IDX.DEV) prot |= IOMMU_PROT.MMIO;
  else if (attrIndex === ARM_LPAE_MAIR_ATTR_IDX.CACHE) prot |= IOMMU_PROT.CACHE;
  if (!mali && (pte & ARM_LPAE_PTE_AP_UNPRIV) === 0n) prot |= IOMMU_PROT.PRIV;
  const accessFlag = mali || (pte & ARM_LPAE_PTE_AF) !== 0n;
  return { kind, address: iopteToPaddr(pte), read, write, execute, accessFlag, attrIndex, prot };
}
