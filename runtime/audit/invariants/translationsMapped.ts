import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry, type PayloadOf } from "../../../shared/events/registry.ts";
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import { TranslationCompleted, TranslationRequested } from "../../../services/mmu/mmuEvents.ts";
import { walk } from "../../../services/mmu/walk.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import { AS_TABLE_EVENTS, AsTables, type AsTable } from "./asTables.ts";
import type { InvariantDef } from "./invariant.ts";

type Request = PayloadOf<typeof TranslationRequested>;
type Answer = PayloadOf<typeof TranslationCompleted>;

/** What the page tables say about each page a request touches: the PA, or why it faults. */
type Walks = Map<number, { readonly pa?: number; readonly fault?: string }>;

/** Walk every page of every requested range (with the range's access) through `table`. */
function walkRanges(table: AsTable, req: Request): Walks {
  const out: Walks = new Map();
  const pt = table.pt;
  for (const r of req.ranges) {
    for (let va = r.va; va < r.va + r.size; va += PAGE_SIZE - (va % PAGE_SIZE)) {
      if (pt === undefined) out.set(va, { fault: "the AS does not translate (TRANSCFG not AARCH64_4K)" });
      else {
        const w = walk(pt, va, r.access);
        out.set(va, w.ok ? { pa: w.pa } : { fault: `${r.access} → ${w.kind} fault 0x${w.exceptionType.toString(16)}` });
      }
    }
  }
  return out;
}

/**
 * Why a successful translation is not what `walks` say, or undefined when it is: every page of
 * every range must walk to a leaf that permits the access, and every returned segment must point
 * where the walk does.
 */
function mismatch(walks: Walks, answer: Answer): string | undefined {
  for (const [va, w] of walks) if (w.fault !== undefined) return `0x${va.toString(16)} was translated but the page tables say ${w.fault}`;
  for (const s of answer.segments) {
    for (let va = s.va; va < s.va + s.size; va += PAGE_SIZE - (va % PAGE_SIZE)) {
      const pa = walks.get(va)?.pa;
      const got = s.pa + (va - s.va);
      if (pa !== undefined && pa !== got) return `0x${va.toString(16)} was translated to PA 0x${got.toString(16)} but the page tables map it to 0x${pa.toString(16)}`;
    }
  }
  return undefined;
}

/**
 * No GPU access outside the AS's mappings succeeds: every `TranslationCompleted ok` agrees with
 * a walk of the page tables the log holds at that point (the `MemoryWritten` page-table bytes and
 * the AS's last UPDATE) — a stale TLB entry used after an unmap without a flush breaks it. The
 * walk is also taken when the request is delivered: a table written later in the same instant
 * must not count against the MMU.
 */
export const translationsMapped: InvariantDef = {
  name: "accesses-within-mappings",
  statement: "no GPU access outside its address space's mappings succeeds",
  reads: [...AS_TABLE_EVENTS, TranslationRequested, TranslationCompleted],
  create(report, ctx) {
    const gpus = new Map<number, AsTables>();
    const pending = new Map<string, { req: Request; ref: EventRef; early: Walks | undefined; table: AsTable | undefined; version: number }>();
    const tablesOf = (g: number) => gpus.get(g) ?? gpus.set(g, new AsTables(ctx.model)).get(g)!;
    return {
      push(e: Envelope) {
        const gpu = gpuOf(e) ?? 0;
        const tables = tablesOf(gpu);
        tables.push(e);
        if (EventRegistry.is(TranslationRequested, e)) {
          const table = tables.table(e.payload.as);
          pending.set(`${gpu}/${e.payload.requester}/${e.payload.job}`, { req: e.payload, ref: refOf(e), early: table && walkRanges(table, e.payload), table, version: tables.version });
        } else if (EventRegistry.is(TranslationCompleted, e)) {
          const key = `${gpu}/${e.payload.requester}/${e.payload.job}`;
          const p = pending.get(key);
          pending.delete(key);
          const table = tables.table(e.payload.as);
          if (p === undefined || !e.payload.ok || table === undefined) return;
          // Nothing written and no table loaded since the request: walking again would find the same.
          const unchanged = p.early !== undefined && p.table === table && p.version === tables.version;
          const why = mismatch(unchanged ? p.early! : walkRanges(table, p.req), e.payload);
          if (why === undefined || (p.early !== undefined && mismatch(p.early, e.payload) === undefined)) return;
          report({ message: `job ${p.req.job} in AS${p.req.as}: ${why}`, timeNs: e.timeNs, gpu, events: [table.update, p.ref, refOf(e)] });
        }
      },
      finish() {},
    };
  },
};
