/**
 * A job's memory ranges translated through one address space, page by page: what the shader
 * cores' load/store units ask of the MMU before (in tyrsim: instead of) each access. Each page
 * goes through the AS's TLB and, on a miss, the page-table walk, so stale TLB entries are used
 * exactly as the hardware would use them. Pure apart from the TLB it fills.
 *
 * Simplified: the whole job is translated at once, before it runs, instead of access by access
 * while it runs; a translation takes no virtual time.
 */
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import type { LockRegion } from "./lockRegion.ts";
import type { PageTable } from "./pageTable.ts";
import { translate, type AsTlb } from "./tlb.ts";
import type { MmuAccess, MmuFault } from "./walk.ts";

/** A range of GPU VA a job accesses, and how. */
export interface AccessRange {
  readonly va: number;
  readonly size: number;
  readonly access: MmuAccess;
}

/** A piece of a range that is contiguous in both VA and PA. */
export interface Segment {
  readonly va: number;
  readonly pa: number;
  readonly size: number;
}

/** Outcome of {@link translateRanges}. */
export type RangesTranslation =
  | { readonly kind: "ok"; readonly segments: Segment[] }
  | { readonly kind: "fault"; readonly fault: MmuFault }
  | { readonly kind: "stalled"; readonly address: number; readonly region: LockRegion };

/**
 * Translate every page of every range in order; the first fault or locked page ends the
 * translation. Segments follow the ranges' order, each range split where its PA is not
 * contiguous (never merged across ranges). Empty ranges are skipped.
 *
 * @example translateRanges(tlb, pt, [{ va: 0x1000, size: 0x2000, access: "read" }]) // { kind: "ok", segments: [...] }
 */
export function translateRanges(tlb: AsTlb, pt: PageTable, ranges: readonly AccessRange[]): RangesTranslation {
  const segments: Segment[] = [];
  for (const r of ranges) {
    const end = r.va + r.size;
    let last: Segment | undefined;
    for (let va = r.va; va < end; ) {
      const next = Math.min(va - (va % PAGE_SIZE) + PAGE_SIZE, end);
      const t = translate(tlb, pt, va, r.access);
      if (!t.ok) return t.kind === "stalled" ? { kind: "stalled", address: t.address, region: t.region } : { kind: "fault", fault: t };
      const size = next - va;
      if (last !== undefined && last.pa + last.size === t.pa) {
        last = { ...last, size: last.size + size };
        segments[segments.length - 1] = last;
      } else {
        last = { va, pa: t.pa, size };
        segments.push(last);
      }
      va = next;
    }
  }
  return { kind: "ok", segments };
}

/**
 * The physical pieces of `[va, va + len)` according to `segments` (from one translation), in VA
 * order: where a job's output bytes land. Returns undefined if any byte is not covered.
 */
export function physicalSpans(segments: readonly Segment[], va: number, len: number): { pa: number; offset: number; len: number }[] | undefined {
  const out: { pa: number; offset: number; len: number }[] = [];
  for (let at = va; at < va + len; ) {
    const s = segments.find((g) => at >= g.va && at < g.va + g.size);
    if (s === undefined) return undefined;
    const n = Math.min(s.va + s.size, va + len) - at;
    out.push({ pa: s.pa + (at - s.va), offset: at - va, len: n });
    at += n;
  }
  return out;
}
