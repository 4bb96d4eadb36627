import { flagsToProt } from "../../services/gpuvm/pageTableActions.ts";
import { asPageTable } from "../../services/mmu/asPageTable.ts";
import { coalesceLeaves, leafMappings, type MappedRange } from "../../services/mmu/leafMappings.ts";
import { PAGE_SIZE, type PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_TRANSCFG, asTranscfgInaBits } from "../../shared/gpu/registers.ts";
import type { DriverMemorySnapshot } from "./drmDevice.ts";

type VmSnapshot = DriverMemorySnapshot["files"][number]["vms"][number];

/** The frames of every GEM object and kernel BO of a snapshot, expanded from their extents. */
export function framesByObject(s: DriverMemorySnapshot): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const o of [...s.gem, ...s.kernelBos]) out.set(o.obj, (o.pages ?? []).flatMap(([first, n]) => Array.from({ length: n }, (_, i) => first + i)));
  return out;
}

/** What the page table of `vm` must map: its GPUVM VAs (user and kernel) × the BOs' frames, as coalesced ranges. */
export function expectedRanges(vm: VmSnapshot, frames: ReadonlyMap<number, number[]>): MappedRange[] {
  const leaves = [...vm.vas, ...vm.kernelVas].sort((a, b) => a.addr - b.addr).flatMap((v) => {
    const f = frames.get(v.obj!) ?? [];
    return Array.from({ length: v.range / PAGE_SIZE }, (_, i) => ({
      iova: v.addr + i * PAGE_SIZE, pa: f[v.offset / PAGE_SIZE + i]! * PAGE_SIZE, size: PAGE_SIZE, level: 3, prot: flagsToProt(v.flags), pte: 0n,
    }));
  });
  return coalesceLeaves(leaves);
}

/** The ranges the page table of `vm` maps, walked in RAM as the MMU would walk it (48-bit VA). */
export function tableRanges(mem: PhysicalMemory, vm: VmSnapshot): MappedRange[] {
  const transcfg = BigInt(AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - 48));
  const pt = asPageTable(mem, BigInt(vm.pgd), transcfg, { vaBits: 48, paBits: 40 })!;
  return coalesceLeaves(leafMappings(pt));
}
