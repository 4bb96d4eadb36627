import { EXCEPTION } from "../../shared/gpu/exceptions.ts";
import { PAGE_SIZE, type PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { asPageTable, type MmuAddressBits } from "../mmu/asPageTable.ts";
import type { AsCommandName } from "../mmu/mmuEvents.ts";
import type { PageTable } from "../mmu/pageTable.ts";
import { permits, walk, type LeafPermissions, type MmuAccess } from "../mmu/walk.ts";
import type { MemoryFault } from "./cs/memory.ts";

/** A page translation: the physical page, or the MMU's fault for the access. */
export type PageTranslation = { readonly ok: true; readonly pa: number } | { readonly ok: false; readonly fault: MemoryFault };

/**
 * The address spaces as the MCU sees them when it reads and writes memory itself — the shared
 * interface region through AS0, a group's rings, streams and sync objects through the group's
 * AS. It follows the driver's AS programming from the same events the MMU acts on
 * (`AsCommandIssued` UPDATE stages TRANSTAB/TRANSCFG, `AsCommandCompleted` applies them) and
 * walks the page tables in the shared RAM replica with the MMU's own `walk()`.
 *
 * Simplified (documented in the README): these accesses bypass the MMU actor, so they neither
 * latch AS_FAULTSTATUS nor raise MMU_INT — a CS memory fault surfaces only as CS_FATAL with the
 * MMU's exception code. Translations are cached per page until the next command completes on
 * that AS (any command flushes: a coarser TLB than the MMU's, never a staler one).
 */
export class AsViews {
  private readonly staged = new Map<number, { transtab: bigint; transcfg: bigint }>();
  private readonly tables = new Map<number, PageTable>();
  private readonly cache = new Map<number, Map<number, { translation: PageTranslation; perms: LeafPermissions }>>();

  constructor(
    readonly mem: PhysicalMemory,
    private readonly bits: MmuAddressBits,
  ) {}

  /** The driver wrote AS_COMMAND; an UPDATE's registers take effect when it completes. */
  commandIssued(as: number, command: AsCommandName, transtab: string, transcfg: string): void {
    if (command === "UPDATE" && !this.staged.has(as)) this.staged.set(as, { transtab: BigInt(transtab), transcfg: BigInt(transcfg) });
  }

  /** A command completed on `as`: an UPDATE loads the staged tables; every command drops cached translations. */
  commandCompleted(as: number, command: AsCommandName): void {
    const s = this.staged.get(as);
    if (command === "UPDATE" && s !== undefined) {
      this.staged.delete(as);
      const pt = asPageTable(this.mem, s.transtab, s.transcfg, this.bits);
      if (pt === undefined) this.tables.delete(as);
      else this.tables.set(as, pt);
    }
    this.cache.delete(as);
  }

  /** A GPU soft reset: every AS is unprogrammed. */
  reset(): void {
    this.staged.clear();
    this.tables.clear();
    this.cache.clear();
  }

  /** Whether `as` has page tables (ADRMODE_AARCH64_4K, updated). */
  configured(as: number): boolean {
    return this.tables.has(as);
  }

  /**
   * The physical address of the page holding `va` (page-aligned) for `access`. An AS that does
   * not translate faults every access with TRANSLATION_FAULT_0, as the MMU actor does.
   */
  translatePage(as: number, va: number, access: MmuAccess): PageTranslation {
    const page = va - (va % PAGE_SIZE);
    let perAs = this.cache.get(as);
    const hit = perAs?.get(page);
    if (hit !== undefined && permits(hit.perms, access)) return hit.translation;
    const pt = this.tables.get(as);
    if (pt === undefined) return { ok: false, fault: { exceptionType: EXCEPTION.TRANSLATION_FAULT_0, address: va } };
    const w = walk(pt, page, access);
    if (!w.ok) return { ok: false, fault: { exceptionType: w.exceptionType, address: va } };
    if (perAs === undefined) this.cache.set(as, (perAs = new Map()));
    // The answer object is immutable (readonly), so every later hit on the page hands out the same one.
    const translation: PageTranslation = { ok: true, pa: w.pa };
    perAs.set(page, { translation, perms: w.perms });
    return translation;
  }
}
