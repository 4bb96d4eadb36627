import { describe, expect, it } from "vitest";
import type { ActorContext } from "../../shared/actor/actor.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_TRANSCFG, asTranscfgInaBits } from "../../shared/gpu/registerFields.ts";
import { map } from "../mmu/iommuMap.ts";
import { hex64 } from "../mmu/mmuEvents.ts";
import { createPageTable, transtab } from "../mmu/pageTable.ts";
import { IOMMU_PROT } from "../mmu/pteFormat.ts";
import { AsViews } from "./asViews.ts";
import type { FirmwareConfig } from "./firmwareConfig.ts";
import { FwRuntime, MCU_AS, sameBytes } from "./firmwareRuntime.ts";
import { CS_INPUT } from "./interfaces.ts";
import { PendingWrites } from "./pendingWrites.ts";

const VA = 0x0400_0000;
const TRANSCFG = hex64(BigInt(AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - 48)));

/** A firmware runtime whose AS0 maps one RW page at VA, recording what it publishes. */
function setup() {
  const mem = new PhysicalMemory(16 * PAGE_SIZE);
  mem.allocFrames(1);
  const pt = createPageTable(mem);
  const [frame] = mem.allocFrames(1);
  const pa = frame! * PAGE_SIZE;
  map(pt, VA, pa, PAGE_SIZE, IOMMU_PROT.READ | IOMMU_PROT.WRITE | IOMMU_PROT.NOEXEC);
  const views = new AsViews(mem, { vaBits: 48, paBits: 40 });
  views.commandIssued(MCU_AS, "UPDATE", hex64(transtab(pt)), TRANSCFG);
  views.commandCompleted(MCU_AS, "UPDATE");
  const published: { type: string; payload: unknown }[] = [];
  const ctx = { publish: (def: { type: string }, _path: string, payload: unknown) => `fw:${published.push({ type: def.type, payload })}` } as unknown as ActorContext;
  const fw = new FwRuntime(ctx, { gpu: 0 } as FirmwareConfig, views, new PendingWrites());
  return { mem, pa, fw, published };
}

describe("the firmware runtime's block caches", () => {
  it("hands back the same decoding while a host block's bytes stay the same, and decodes again when they change", () => {
    const { mem, pa, fw } = setup();
    mem.writeU32(pa, 0x5);
    const first = fw.readInput(VA, CS_INPUT);
    expect(first?.req).toBe(0x5);
    expect(fw.readInput(VA, CS_INPUT)).toBe(first);
    mem.writeU32(pa + CS_INPUT.offsets.ack_irq_mask, 0xc);
    expect(fw.readInput(VA, CS_INPUT)).toMatchObject({ req: 0x5, ack_irq_mask: 0xc });
    expect(fw.readInput(VA + PAGE_SIZE, CS_INPUT)).toBeUndefined();
  });

  it("publishes a firmware block only when its bytes differ from the last ones written there", () => {
    const { fw, published } = setup();
    fw.blocksZeroed([{ va: VA, size: 8 }]);
    fw.writeBlock(VA, new Uint8Array(8));
    expect(published).toHaveLength(0);
    fw.writeBlock(VA, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    fw.writeBlock(VA, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    expect(published.map((p) => p.type)).toEqual(["MemoryWritten"]);
    fw.writeBlock(VA, Uint8Array.of(1, 2, 0, 0, 0, 0, 0, 0));
    expect(published).toHaveLength(2);
  });

  it("compares byte strings by length and content", () => {
    expect(sameBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(sameBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(sameBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
  });
});
