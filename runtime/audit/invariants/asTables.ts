import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import type { GpuModel } from "../../../shared/gpu/model.ts";
import { PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";
import { mmuPaBits, mmuVaBits } from "../../../shared/gpu/registerFields.ts";
import { MemoryWritten } from "../../../services/memory/memoryEvents.ts";
import { decodeWrite } from "../../../services/memory/memoryWrites.ts";
import { asPageTable } from "../../../services/mmu/asPageTable.ts";
import { AsCommandCompleted, AsCommandIssued } from "../../../services/mmu/mmuEvents.ts";
import type { PageTable } from "../../../services/mmu/pageTable.ts";
import { GpuSoftResetCompleted } from "../../../services/regs/regsEvents.ts";
import { refOf, type EventRef } from "../eventRef.ts";

/** The events {@link AsTables} follows (a checker that feeds it must read them all). */
export const AS_TABLE_EVENTS = [MemoryWritten, AsCommandIssued, AsCommandCompleted, GpuSoftResetCompleted] as const;

/**
 * The `MemoryWritten` payload decoded last and its decoding: the checkers that keep tables of
 * their own are handed the same event in turn, and the base64 decoding is the dearest part of
 * following a write. Safe to share: a payload is never changed, and `PhysicalMemory.write` copies.
 */
let lastWrite: { readonly payload: object; readonly pa: number; readonly bytes: Uint8Array } | undefined;

/** An AS's translation as the log establishes it: the table the MMU walks and the UPDATE that loaded it. */
export interface AsTable {
  readonly pt: PageTable | undefined;
  readonly update: EventRef;
}

/**
 * One GPU's page tables rebuilt from its log, for checks that need to walk them: a replica of
 * system RAM fed by every `MemoryWritten` (as the memory replica actor applies them), and the
 * AS_TRANSTAB/AS_TRANSCFG each AS loaded with its last completed UPDATE (forgotten on a soft
 * reset). Holds the touched frames only, never the log.
 */
export class AsTables {
  private readonly mem: PhysicalMemory;
  private readonly issued = new Map<number, { transtab: bigint; transcfg: bigint }>();
  private readonly tables = new Map<number, AsTable>();
  /** Bumped whenever memory or a table changes: two walks of one version give the same answer. */
  version = 0;

  constructor(private readonly model: GpuModel) {
    this.mem = new PhysicalMemory(model.memory.system_ram_bytes);
  }

  /** Follow one event of this GPU. */
  push(e: Envelope): void {
    if (EventRegistry.is(MemoryWritten, e)) {
      if (lastWrite?.payload !== e.payload) lastWrite = { payload: e.payload, ...decodeWrite(e.payload) };
      const { pa, bytes } = lastWrite;
      if (pa + bytes.length <= this.mem.size) this.mem.write(pa, bytes);
      this.version++;
    } else if (EventRegistry.is(AsCommandIssued, e) && e.payload.command === "UPDATE") {
      this.issued.set(e.payload.as, { transtab: BigInt(e.payload.transtab), transcfg: BigInt(e.payload.transcfg) });
    } else if (EventRegistry.is(AsCommandCompleted, e) && e.payload.command === "UPDATE") {
      const r = this.issued.get(e.payload.as);
      if (r === undefined) return;
      const bits = { vaBits: mmuVaBits(this.model.features.mmu_features), paBits: mmuPaBits(this.model.features.mmu_features) };
      this.tables.set(e.payload.as, { pt: asPageTable(this.mem, r.transtab, r.transcfg, bits), update: refOf(e) });
      this.version++;
    } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
      this.issued.clear();
      this.tables.clear();
      this.version++;
    }
  }

  /** The table AS `as` translates through now, or undefined when no UPDATE of it is in the log. */
  table(as: number): AsTable | undefined {
    return this.tables.get(as);
  }
}
