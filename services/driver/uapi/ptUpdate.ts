/**
 * Page-table edits of one VM_BIND op, as `panthor_vm_map_pages` / `panthor_vm_unmap_pages` do
 * them over io-pgtable (`services/mmu`), and their publication to RAM.
 *
 * - Map: `iommu_map`'s page-size split (2 MiB blocks where VA and PA allow, else 4 KiB pages).
 * - Unmap: io-pgtable refuses to unmap part of a 2 MiB block ("Unmap of a partial large IOPTE is
 *   not allowed"), so, as panthor's newer code does for partial unmaps of huge pages, a block that
 *   straddles an edge of the range is unmapped whole and the part that must stay is mapped again
 *   with 4 KiB pages, inside the same locked region.
 * - Pre-reservation: before any edit, the op's worst case of new table pages is checked against
 *   the page-table pool (`panthor_vm_op_ctx_prealloc_pts`), -ENOMEM otherwise.
 * - Publication: every table page the CPU changed becomes one whole-page `MemoryWritten`.
 */
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import type { PtAction } from "../../gpuvm/index.ts";
import { MemoryWritten } from "../../memory/memoryEvents.ts";
import { memoryPaths } from "../../memory/memoryReplica.ts";
import { encodeWrite } from "../../memory/memoryWrites.ts";
import { map, unmap } from "../../mmu/iommuMap.ts";
import { ARM_LPAE_MAX_LEVELS, blockSize, lvlIdx, SZ_2M } from "../../mmu/lpaeGeometry.ts";
import { readPte, type PageTable } from "../../mmu/pageTable.ts";
import { decodePte, iopteLeaf, iopteTable, iopteToPaddr } from "../../mmu/pteFormat.ts";
import { emit, type KTask } from "../ktask.ts";
import type { DriverState } from "./driverState.ts";

/** A leaf descriptor covering an address: its block, physical base and protection. */
interface Leaf {
  readonly base: number;
  readonly size: number;
  readonly pa: number;
  readonly prot: number;
}

/** The leaf mapping `va`, read from the CPU's copy of the tables, or undefined. */
function leafAt(pt: PageTable, va: number): Leaf | undefined {
  let table = pt.pgdPa;
  for (let lvl = pt.geo.startLevel; lvl < ARM_LPAE_MAX_LEVELS; lvl++) {
    const pte = readPte(pt, table, lvlIdx(pt.geo, va, lvl));
    if (iopteLeaf(pte, lvl, pt.cfg.fmt)) {
      const size = blockSize(lvl);
      return { base: va - (va % size), size, pa: iopteToPaddr(pte), prot: decodePte(pt.cfg.fmt, pte, lvl).prot };
    }
    if (!iopteTable(pte, lvl)) return undefined;
    table = iopteToPaddr(pte);
  }
  return undefined;
}

/** Blocks larger than a page that straddle an edge of `[va, va + size)`. */
function straddlingBlocks(pt: PageTable, va: number, size: number): Leaf[] {
  const end = va + size;
  const out: Leaf[] = [];
  for (const edge of [va, end - 1]) {
    const l = leafAt(pt, edge);
    if (l !== undefined && l.size > PAGE_SIZE && (l.base < va || l.base + l.size > end) && !out.some((o) => o.base === l.base)) out.push(l);
  }
  return out;
}

/** A simulator bug: the GPUVM tree and the page table disagree. */
export class PageTableUpdateError extends Error {
  override readonly name = "PageTableUpdateError";
}

function unmapRange(pt: PageTable, va: number, size: number): void {
  const end = va + size;
  for (const b of straddlingBlocks(pt, va, size)) {
    if (unmap(pt, b.base, b.size) !== b.size) throw new PageTableUpdateError(`cannot unmap block at 0x${b.base.toString(16)}`);
    const keep: [number, number][] = [];
    if (b.base < va) keep.push([b.base, va - b.base]);
    if (b.base + b.size > end) keep.push([end, b.base + b.size - end]);
    for (const [at, n] of keep) {
      const ret = map(pt, at, b.pa + (at - b.base), n, b.prot);
      if (ret !== 0) throw new PageTableUpdateError(`re-map of a split block at 0x${at.toString(16)} failed: ${ret}`);
    }
  }
  for (let at = va; at < end; ) {
    const n = unmap(pt, at, end - at);
    at += n === 0 ? PAGE_SIZE : n;
  }
}

/** Apply the actions in order; a refusal from io-pgtable here is a simulator bug and throws. */
export function applyPtActions(pt: PageTable, actions: readonly PtAction[]): void {
  for (const a of actions) {
    if (a.type === "unmap") {
      unmapRange(pt, a.va, a.size);
    } else {
      const ret = map(pt, a.va, a.pa, a.size, a.prot);
      if (ret !== 0) throw new PageTableUpdateError(`map 0x${a.va.toString(16)}+0x${a.size.toString(16)} failed: ${ret}`);
    }
  }
}

/** Distinct naturally aligned regions of `unit` bytes that `[va, va + size)` touches. */
function spans(va: number, size: number, unit: number): number {
  return Math.floor((va + size - 1) / unit) - Math.floor(va / unit) + 1;
}

/**
 * Worst case of new table pages the actions need: per mapped range one level-1, level-2 and
 * level-3 table for every 512 GiB, 1 GiB and 2 MiB region it touches, plus one level-3 table per
 * block an unmap may split.
 */
export function tablesNeeded(actions: readonly PtAction[]): number {
  let n = 0;
  for (const a of actions) {
    n += a.type === "map" ? spans(a.va, a.size, 2 ** 39) + spans(a.va, a.size, 2 ** 30) + spans(a.va, a.size, SZ_2M) : 2;
  }
  return n;
}

/** The VA range the op edits: every action's range, widened to the blocks an unmap splits. */
export function editedRange(pt: PageTable, actions: readonly PtAction[]): { start: number; size: number } | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const a of actions) {
    let lo = a.va;
    let hi = a.va + a.size;
    if (a.type === "unmap") {
      for (const b of straddlingBlocks(pt, a.va, a.size)) {
        lo = Math.min(lo, b.base);
        hi = Math.max(hi, b.base + b.size);
      }
    }
    start = Math.min(start, lo);
    end = Math.max(end, hi);
  }
  return end > start ? { start, size: end - start } : undefined;
}

/** Write every table page changed since the last call to RAM: one `MemoryWritten` (agent cpu) per page. */
export function* publishTables(d: DriverState): KTask<void> {
  for (const pa of d.ptMem.takeDirty()) {
    if (!d.ptMem.isAllocated(pa / PAGE_SIZE)) continue;
    yield* emit(MemoryWritten, memoryPaths(d.dev.gpu).write, encodeWrite("cpu", pa, d.ptMem.read(pa, PAGE_SIZE)));
  }
}
