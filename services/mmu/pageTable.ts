/**
 * The driver-side page-table operations of `drivers/iommu/io-pgtable-arm.c`, run over simulated
 * physical memory: table pages are real frames of {@link PhysicalMemory} and descriptors are
 * little-endian u64s stored in them, so the GPU MMU's walk (`walk.ts`) reads the same bytes.
 *
 * `mapPages`/`unmapPages`/`iovaToPhys` mirror the io-pgtable ops panthor calls
 * (`ops->map_pages`, `ops->unmap_pages`, `ops->iova_to_phys`); `map`/`unmap` (in `iommuMap.ts`)
 * mirror the page-size splitting of `iommu_map`/`iommu_unmap`, which panthor reimplements in
 * `panthor_vm_map_pages` / `panthor_vm_unmap_pages`.
 *
 * Simplified: no TLB callbacks or gather (panthor does explicit LOCK/flush, see `tlb.ts`); no
 * cache maintenance for non-coherent walks; page-table pages come straight from the frame
 * allocator rather than panthor's pre-reserved kmem cache; the PGD is always a whole frame.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { OutOfFramesError, PAGE_SIZE, type PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import {
  ARM_LPAE_MAX_LEVELS, SZ_1G, SZ_2M, SZ_4K, blockSize, entriesAt, lpaeGeometry, lvlIdx, maxEntries, type LpaeGeometry,
} from "./lpaeGeometry.ts";
import {
  ARM_LPAE_PTE_TYPE_TABLE, ARM_MALI_LPAE_TTBR, IOMMU_PROT, armLpaeInitPte, armLpaeProtToPte, armLpaeTablePte,
  iopteLeaf, iopteTable, iopteToPaddr, iopteType, type IoPgtableFmt,
} from "./pteFormat.ts";

/** `struct io_pgtable_cfg`, reduced to what the 4 KiB LPAE formats use. */
export interface PageTableConfig {
  readonly fmt: IoPgtableFmt;
  /** Input (GPU VA) bits; panthor passes `va_bits` from MMU_FEATURES (48 on G610). */
  readonly ias: number;
  /** Output (PA) bits; panthor passes `pa_bits` from MMU_FEATURES (40 on G610). */
  readonly oas: number;
  /** Supported page sizes; panthor passes `SZ_4K | SZ_2M`. */
  readonly pgsizeBitmap: number;
  /** Whether the GPU's table walk is IO-coherent (only changes Mali's TRANSTAB). */
  readonly coherentWalk: boolean;
}

/** A page table: its config, geometry and where its PGD lives. */
export interface PageTable {
  readonly mem: PhysicalMemory;
  readonly cfg: PageTableConfig;
  readonly geo: LpaeGeometry;
  /** Physical address of the top-level table (`data->pgd`). */
  readonly pgdPa: number;
  /** Physical addresses of every table page in use, PGD included (bookkeeping, not walked). */
  readonly tablePages: Set<number>;
  /** Set by {@link freePageTable}; later use throws. */
  freed: boolean;
}

/** `alloc_io_pgtable_ops()` refused the configuration (the kernel returns NULL). */
export class PageTableConfigError extends Error {
  override readonly name = "PageTableConfigError";
  constructor(readonly field: keyof PageTableConfig, readonly value: unknown, reason: string) {
    super(`io-pgtable config ${field}=${String(value)}: ${reason}`);
  }
}

/** Use of a page table after {@link freePageTable}: a simulator bug, not a driver-visible error. */
export class PageTableFreedError extends Error {
  override readonly name = "PageTableFreedError";
  constructor(readonly operation: string) {
    super(`${operation} on a freed page table`);
  }
}

const S1_OAS = [32, 36, 40, 42, 44, 48, 52];
const SZ_4K_FAMILY = SZ_4K | SZ_2M | SZ_1G;

/**
 * Allocate a page table with an empty, zeroed PGD, as `alloc_io_pgtable_ops()` →
 * `arm_64_lpae_alloc_pgtable_s1()` / `arm_mali_lpae_alloc_pgtable()`. Defaults are panthor's on
 * a Mali-G610: `ARM_64_LPAE_S1`, ias 48, oas 40, `SZ_4K | SZ_2M`, non-coherent walk. Throws
 * {@link PageTableConfigError} where the kernel returns NULL, and `OutOfFramesError` without RAM.
 */
export function createPageTable(mem: PhysicalMemory, opts: Partial<PageTableConfig> = {}): PageTable {
  const fmt = opts.fmt ?? "ARM_64_LPAE_S1";
  let ias = opts.ias ?? 48;
  let oas = opts.oas ?? 40;
  let pgsizeBitmap = opts.pgsizeBitmap ?? SZ_4K | SZ_2M;
  if (!Number.isInteger(ias) || ias < 21 || ias > 52) throw new PageTableConfigError("ias", ias, "must be 21..52");
  if (!Number.isInteger(oas) || oas > 52) throw new PageTableConfigError("oas", oas, "must be at most 52");
  if (fmt === "ARM_MALI_LPAE") {
    if (ias > 48) throw new PageTableConfigError("ias", ias, "ARM_MALI_LPAE needs ias <= 48");
    if (oas > 40) throw new PageTableConfigError("oas", oas, "ARM_MALI_LPAE needs oas <= 40");
  } else if (!S1_OAS.includes(oas)) {
    throw new PageTableConfigError("oas", oas, "stage-1 IPS encodes only 32/36/40/42/44/48/52");
  }
  // arm_lpae_restrict_pgsizes(): the 4 KiB granule family only, addresses clamped to 48 bits.
  if (!(pgsizeBitmap & SZ_4K)) throw new PageTableConfigError("pgsizeBitmap", pgsizeBitmap, "only the 4 KiB granule is modelled");
  pgsizeBitmap &= SZ_4K_FAMILY;
  ias = Math.min(ias, 48);
  oas = Math.min(oas, 48);
  const cfg: PageTableConfig = { fmt, ias, oas, pgsizeBitmap, coherentWalk: opts.coherentWalk ?? false };
  const [frame] = mem.allocFrames(1);
  const pgdPa = frame! * PAGE_SIZE;
  return { mem, cfg, geo: lpaeGeometry(fmt, ias), pgdPa, tablePages: new Set([pgdPa]), freed: false };
}

/**
 * The AS_TRANSTAB value for this table: the PGD address for stage-1
 * (`cfg.arm_lpae_s1_cfg.ttbr`), or PGD | READ_INNER | ADRMODE_TABLE (| SHARE_OUTER when
 * coherent) for Mali (`cfg.arm_mali_lpae_cfg.transtab`).
 */
export function transtab(pt: PageTable): bigint {
  const base = BigInt(pt.pgdPa);
  if (pt.cfg.fmt !== "ARM_MALI_LPAE") return base;
  const t = base | ARM_MALI_LPAE_TTBR.READ_INNER | ARM_MALI_LPAE_TTBR.ADRMODE_TABLE;
  return pt.cfg.coherentWalk ? t | ARM_MALI_LPAE_TTBR.SHARE_OUTER : t;
}

/** Result of {@link mapPages}: `ret` is 0 or a negative errno; `mapped` counts bytes written. */
export interface MapPagesResult {
  readonly ret: number;
  readonly mapped: number;
}

/**
 * Map `pgcount` pages of `pgsize` bytes from `iova` to `paddr`, as `arm_lpae_map_pages()`. The
 * leaf goes at the level whose block size is `pgsize` (2 MiB → level-2 block, 1 GiB → level-1
 * block, 4 KiB → level-3 page); intermediate tables are allocated on the way. At most one table's
 * worth of entries is written per call (`mapped` says how much; callers loop, PGT-E04).
 *
 * Errors: -EINVAL for a zero, multi-bit or unsupported `pgsize`, for `prot` with neither READ nor
 * WRITE, and (added here, as `iommu_map` checks it) for an `iova`/`paddr` not aligned to
 * `pgsize`; -ERANGE when `iova >> ias` or `paddr >> oas` is non-zero; -EEXIST when a leaf is
 * already there; -ENOMEM when no frame is left for a table.
 */
export function mapPages(pt: PageTable, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): MapPagesResult {
  assertLive(pt, "map_pages");
  assertAddr(iova, "iova");
  assertAddr(paddr, "paddr");
  const { cfg } = pt;
  const singleBit = pgsize > 0 && Number.isInteger(Math.log2(pgsize));
  if (!singleBit || (pgsize & cfg.pgsizeBitmap) !== pgsize) return fail(ERRNO.EINVAL);
  if (iova >= 2 ** cfg.ias || paddr >= 2 ** cfg.oas) return fail(ERRNO.ERANGE);
  if (!(prot & (IOMMU_PROT.READ | IOMMU_PROT.WRITE))) return fail(ERRNO.EINVAL);
  if (iova % pgsize !== 0 || paddr % pgsize !== 0) return fail(ERRNO.EINVAL);
  const out = { mapped: 0 };
  const ret = lpaeMap(pt, iova, paddr, pgsize, pgcount, armLpaeProtToPte(cfg.fmt, prot), pt.geo.startLevel, pt.pgdPa, out);
  return { ret, mapped: out.mapped };
}

/**
 * Unmap `pgcount` pages of `pgsize` from `iova`, as `arm_lpae_unmap_pages()`, returning the bytes
 * unmapped. Returns 0 for a zero/unsupported `pgsize`, `pgcount == 0`, an `iova` outside the IAS
 * (PGT-E05), an unmapped `iova` (PGT-E06: the kernel blob read returns 0 here), and for a partial
 * unmap of a larger block: the current kernel refuses ("Unmap of a partial large IOPTE is not
 * allowed") and leaves the block intact (PGT-H03); the old split-on-unmap is not modelled.
 * Unmapping at a table level's size frees the whole subtree (PGT-E08).
 */
export function unmapPages(pt: PageTable, iova: number, pgsize: number, pgcount: number): number {
  assertLive(pt, "unmap_pages");
  assertAddr(iova, "iova");
  const singleBit = pgsize > 0 && Number.isInteger(Math.log2(pgsize));
  if (!singleBit || (pgsize & pt.cfg.pgsizeBitmap) !== pgsize || pgcount <= 0) return 0;
  if (iova >= 2 ** pt.cfg.ias) return 0;
  return lpaeUnmap(pt, iova, pgsize, pgcount, pt.geo.startLevel, pt.pgdPa);
}

/**
 * Software translation, as `arm_lpae_iova_to_phys()`: the leaf's address ORed with the offset
 * inside the leaf, or 0 when nothing is mapped (PGT-E07). No permission checks; see `walk.ts`
 * for what the GPU does.
 */
export function iovaToPhys(pt: PageTable, iova: number): number {
  assertLive(pt, "iova_to_phys");
  let tablePa = pt.pgdPa;
  for (let lvl = pt.geo.startLevel; lvl < ARM_LPAE_MAX_LEVELS; lvl++) {
    const pte = readPte(pt, tablePa, lvlIdx(pt.geo, iova, lvl));
    if (iopteLeaf(pte, lvl, pt.cfg.fmt)) return Number(BigInt(iopteToPaddr(pte)) | BigInt(iova % blockSize(lvl)));
    if (!iopteTable(pte, lvl)) return 0;
    tablePa = iopteToPaddr(pte);
  }
  return 0;
}

/** Free every table page, as `free_io_pgtable_ops()` → `__arm_lpae_free_pgtable()` from the PGD. */
export function freePageTable(pt: PageTable): void {
  assertLive(pt, "free_io_pgtable_ops");
  freeTable(pt, pt.geo.startLevel, pt.pgdPa);
  pt.freed = true;
}

/** Read the descriptor at `index` of the table at `tablePa`. */
export function readPte(pt: PageTable, tablePa: number, index: number): bigint {
  return pt.mem.readU64(tablePa + index * 8);
}

function writePte(pt: PageTable, tablePa: number, index: number, pte: bigint): void {
  pt.mem.writeU64(tablePa + index * 8, pte);
}

/** `__arm_lpae_map()`: descend to the level whose block size is `size`, then install leaves. */
function lpaeMap(pt: PageTable, iova: number, paddr: number, size: number, pgcount: number, prot: bigint, lvl: number, tablePa: number, out: { mapped: number }): number {
  const idx = lvlIdx(pt.geo, iova, lvl);
  if (size === blockSize(lvl)) {
    const num = Math.min(pgcount, maxEntries(idx));
    const ret = initPtes(pt, iova, paddr, prot, lvl, num, tablePa, idx);
    if (ret === 0) out.mapped += num * size;
    return ret;
  }
  if (lvl >= ARM_LPAE_MAX_LEVELS - 1) return -ERRNO.EINVAL; // "We can't allocate tables at the final level"
  let pte = readPte(pt, tablePa, idx);
  if (pte === 0n) {
    let frame: number;
    try {
      [frame] = pt.mem.allocFrames(1) as [number];
    } catch (e) {
      if (e instanceof OutOfFramesError) return -ERRNO.ENOMEM;
      throw e;
    }
    pt.tablePages.add(frame * PAGE_SIZE);
    pte = armLpaeTablePte(frame * PAGE_SIZE);
    writePte(pt, tablePa, idx, pte);
  }
  if (iopteLeaf(pte, lvl, pt.cfg.fmt)) return -ERRNO.EEXIST; // "We require an unmap first"
  return lpaeMap(pt, iova, paddr, size, pgcount, prot, lvl + 1, iopteToPaddr(pte), out);
}

/**
 * `arm_lpae_init_pte()`: refuse if any target slot holds a leaf (-EEXIST); a slot holding a table
 * has that subtree unmapped and freed first (PGT-E03); then write the leaves.
 */
function initPtes(pt: PageTable, iova: number, paddr: number, prot: bigint, lvl: number, num: number, tablePa: number, idx: number): number {
  const sz = blockSize(lvl);
  for (let i = 0; i < num; i++) {
    const pte = readPte(pt, tablePa, idx + i);
    if (iopteLeaf(pte, lvl, pt.cfg.fmt)) return -ERRNO.EEXIST;
    if (iopteType(pte) === ARM_LPAE_PTE_TYPE_TABLE && lpaeUnmap(pt, iova + i * sz, sz, 1, lvl, tablePa) !== sz) return -ERRNO.EINVAL;
  }
  for (let i = 0; i < num; i++) writePte(pt, tablePa, idx + i, armLpaeInitPte(pt.cfg.fmt, prot, paddr + i * sz, lvl));
  return 0;
}

/** `__arm_lpae_unmap()` (current kernel: no block splitting). */
function lpaeUnmap(pt: PageTable, iova: number, size: number, pgcount: number, lvl: number, tablePa: number): number {
  if (lvl === ARM_LPAE_MAX_LEVELS) return 0;
  const idx = lvlIdx(pt.geo, iova, lvl);
  const pte = readPte(pt, tablePa, idx);
  if (pte === 0n) return 0;
  if (size === blockSize(lvl)) {
    const num = Math.min(pgcount, maxEntries(idx));
    let i = 0;
    for (; i < num; i++) {
      const e = readPte(pt, tablePa, idx + i);
      if (e === 0n) break;
      if (!iopteLeaf(e, lvl, pt.cfg.fmt)) {
        writePte(pt, tablePa, idx + i, 0n);
        freeTable(pt, lvl + 1, iopteToPaddr(e));
      }
    }
    for (let j = 0; j < i; j++) writePte(pt, tablePa, idx + j, 0n);
    return i * size;
  }
  if (iopteLeaf(pte, lvl, pt.cfg.fmt)) return 0; // WARN_ONCE "Unmap of a partial large IOPTE is not allowed"
  return lpaeUnmap(pt, iova, size, pgcount, lvl + 1, iopteToPaddr(pte));
}

/** `__arm_lpae_free_pgtable()`: free child tables depth-first, then this table's frame. */
function freeTable(pt: PageTable, lvl: number, tablePa: number): void {
  if (lvl < ARM_LPAE_MAX_LEVELS - 1) {
    for (let i = 0; i < entriesAt(pt.geo, lvl); i++) {
      const pte = readPte(pt, tablePa, i);
      if (pte !== 0n && !iopteLeaf(pte, lvl, pt.cfg.fmt)) freeTable(pt, lvl + 1, iopteToPaddr(pte));
    }
  }
  pt.mem.freeFrames([tablePa / PAGE_SIZE]);
  pt.tablePages.delete(tablePa);
}

function fail(errno: number): MapPagesResult {
  return { ret: -errno, mapped: 0 };
}

function assertLive(pt: PageTable, operation: string): void {
  if (pt.freed) throw new PageTableFreedError(operation);
}

function assertAddr(x: number, what: string): void {
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${x}`);
}
