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

  constructor(private readonly model: GpuModel) {
    this.mem = new PhysicalMemory(model.memory.system_ram_bytes);
  }

  /** Follow one event of this GPU. */
  push(e: Envelope): void {
    if (EventRegistry.is(MemoryWritten, e)) {
      const { pa, bytes } = decodeWrite(e.payload);
      if (pa + bytes.length <= this.mem.size) this.mem.write(pa, bytes);
    } else if (EventRegistry.is(AsCommandIssued, e) && e.payload.command === "UPDATE") {
      this.issued.set(e.payload.as, { transtab: BigInt(e.payload.transtab), transcfg: BigInt(e.payload.transcfg) });
    } else if (EventRegistry.is(AsCommandCompleted, e) && e.payload.command === "UPDATE") {
      const r = this.issued.get(e.payload.as);
      if (r === undefined) return;
      const bits = { vaBits: mmuVaBits(this.model.features.mmu_features), paBits: mmuPaBits(this.model.features.mmu_features) };
      this.tables.set(e.payload.as, { pt: asPageTable(this.mem, r.transtab, r.transcfg, bits), update: refOf(e) });
    } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
      this.issued.clear();
      this.tables.clear();
    }
  }

  /** The table AS `as` translates through now, or undefined when no UPDATE of it is in the log. */
  table(as: number): AsTable | undefined {
    return this.tables.get(as);
  }
}
