import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PAGE_SIZE as PG, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { decide, isGemError } from "../gem/gemDecide.ts";
import type { GemCommand } from "../gem/gemEvents.ts";
import { evolve, initialState, lookupHandle, pagesOf, type GemState } from "../gem/gemState.ts";
import { createPageTable, iovaToPhys, type PageTable } from "../mmu/pageTable.ts";
import { map, unmap } from "../mmu/iommuMap.ts";
import { applyOps } from "./applyOps.ts";
import { userVas, type GpuVm } from "./gpuvm.ts";
import { pageTableActions } from "./pageTableActions.ts";
import { createPanthorGpuVm } from "./vaLayout.ts";
import { DRM_PANTHOR_VM_BIND_OP as OP, vmBindSync, type VmBindOpArgs } from "./vmBind.ts";
import { vmBoDelta } from "./vmBo.ts";

const BASE = 0x40_0000;
const WINDOW = 48; // pages of VA the test binds into
const BO_PAGES = [3, 8, 5, 2];

function gemRun(s: GemState, c: GemCommand): GemState {
  const r = decide(c, s);
  if (isGemError(r)) throw new Error(`${c.type}: ${r.errno} ${r.reason}`);
  return r.reduce(evolve, s);
}

/** The driver's recipe: pin what a bind starts mapping, write the page table, unpin what it stopped mapping. */
function bind(world: { vm: GpuVm; gem: GemState; pt: PageTable }, op: VmBindOpArgs): void {
  const target = {
    vm: world.vm, ref: { file: 1, vmId: 1 }, kernelVaStart: 2 ** 47, unusable: false,
    lookupBo: (h: number) => {
      const o = lookupHandle(world.gem, 1, h);
      return o && { obj: o.obj, size: o.size };
    },
  };
  const r = vmBindSync(target, op);
  if (!r.ok) return;
  const vm = applyOps(world.vm, r.ops);
  const delta = vmBoDelta(world.vm, vm);
  for (const obj of delta.created) world.gem = gemRun(world.gem, { type: "mapOnGpu", obj });
  for (const a of pageTableActions(r.ops, (obj) => pagesOf(world.gem, obj))) {
    if (a.type === "map") expect(map(world.pt, a.va, a.pa, a.size, a.prot)).toBe(0);
    else expect(unmap(world.pt, a.va, a.size)).toBe(a.size);
  }
  for (const obj of delta.destroyed) world.gem = gemRun(world.gem, { type: "unmapFromGpu", obj });
  world.vm = vm;
}

function expectTablesMatchTree(world: { vm: GpuVm; gem: GemState; pt: PageTable }): void {
  const vas = userVas(world.vm);
  for (let p = 0; p < WINDOW; p++) {
    const va = BASE + p * PG;
    const v = vas.find((x) => x.addr <= va && va < x.addr + x.range);
    const expected = v === undefined ? 0 : pagesOf(world.gem, v.obj!)![(v.offset + va - v.addr) / PG]! * PG;
    expect(iovaToPhys(world.pt, va)).toBe(expected);
  }
}

const bindOp = fc.oneof(
  fc.record({ h: fc.integer({ min: 1, max: BO_PAGES.length }), off: fc.integer({ min: 0, max: 7 }), at: fc.integer({ min: 0, max: WINDOW - 1 }), n: fc.integer({ min: 1, max: 8 }), ro: fc.boolean() })
    .map(({ h, off, at, n, ro }): VmBindOpArgs => ({ flags: OP.TYPE_MAP | (ro ? OP.MAP_READONLY : 0), boHandle: h, boOffset: off * PG, va: BASE + at * PG, size: Math.min(n, WINDOW - at) * PG, syncCount: 0 })),
  fc.record({ at: fc.integer({ min: 0, max: WINDOW - 1 }), n: fc.integer({ min: 1, max: 16 }) })
    .map(({ at, n }): VmBindOpArgs => ({ flags: OP.TYPE_UNMAP, boHandle: 0, boOffset: 0, va: BASE + at * PG, size: Math.min(n, WINDOW - at) * PG, syncCount: 0 })),
);

describe("VM_BIND through GEM, GPUVM and io-pgtable (property, seed 42)", () => {
  it("after every bind the page tables in memory translate exactly the VAs the GPUVM tree maps, to the BO's frames", () => {
    fc.assert(
      fc.property(fc.array(bindOp, { minLength: 1, maxLength: 15 }), (ops) => {
        const mem = new PhysicalMemory(4 * 1024 * 1024);
        const pool = mem.allocFrames(64, { contiguous: true });
        let gem = initialState(64 * PG, { firstFrame: pool[0]! });
        for (const pages of BO_PAGES) gem = gemRun(gem, { type: "create", file: 1, size: pages * PG, flags: 0 });
        const world = { vm: createPanthorGpuVm(48), gem, pt: createPageTable(mem) };
        for (const op of ops) {
          bind(world, op);
          expectTablesMatchTree(world);
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
