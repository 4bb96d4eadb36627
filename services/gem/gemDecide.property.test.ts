import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, isGemError } from "./gemDecide.ts";
import { GEM_EVENTS, type GemCommand } from "./gemEvents.ts";
import { evolve, initialState, refCount, type GemState } from "./gemState.ts";

const PG = 4096;
const POOL = 12;
const file = fc.constantFrom(1, 2);
const obj = fc.integer({ min: 1, max: 6 });
const command: fc.Arbitrary<GemCommand> = fc.oneof(
  fc.record({ type: fc.constant("create" as const), file, size: fc.integer({ min: 0, max: 5 * PG }), flags: fc.constantFrom(0, 1, 2, 3, 4) }),
  fc.record({ type: fc.constantFrom("close" as const, "mmapOffset" as const), file, handle: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ type: fc.constant("closeFile" as const), file }),
  fc.record({ type: fc.constantFrom("pin" as const, "unpin" as const, "mapOnGpu" as const, "unmapFromGpu" as const, "jobGet" as const, "jobPut" as const), obj }),
  fc.record({ type: fc.constant("madvise" as const), obj, madv: fc.constantFrom("willneed" as const, "dontneed" as const) }),
  fc.record({ type: fc.constant("shrink" as const), targetBytes: fc.integer({ min: 0, max: POOL * PG }) }),
);

function checkInvariants(s: GemState): void {
  const owner = new Map<number, number>();
  for (const o of s.objects.values()) {
    expect(refCount(o)).toBeGreaterThan(0);
    expect(Math.min(o.handles, o.pinCount, o.gpuMappings, o.jobRefs)).toBeGreaterThanOrEqual(0);
    if (o.pinCount + o.gpuMappings > 0) expect(o.pages?.length).toBe(o.size / PG);
    for (const f of o.pages ?? []) {
      expect(owner.has(f)).toBe(false);
      owner.set(f, o.obj);
    }
  }
  for (const e of s.pool.free) for (let f = e.start; f < e.start + e.count; f++) expect(owner.has(f)).toBe(false);
  expect(owner.size + s.pool.free.reduce((n, e) => n + e.count, 0)).toBe(POOL);
  const handles = new Map<number, number>();
  for (const table of s.files.values()) for (const o of table.values()) handles.set(o, (handles.get(o) ?? 0) + 1);
  for (const o of s.objects.values()) expect(handles.get(o.obj) ?? 0).toBe(o.handles);
}

describe("GEM decider under random commands (property, seed 42)", () => {
  it("emits only schema-valid events, never loses or shares a frame, keeps pinned objects resident, and keeps handle tables and counts in step", () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (cmds) => {
        let s = initialState(POOL * PG);
        for (const c of cmds) {
          const r = decide(c, s);
          if (!isGemError(r)) {
            for (const e of r) expect(GEM_EVENTS.find((d) => d.type === e.type)!.payload.safeParse(e.payload).success).toBe(true);
            s = r.reduce(evolve, s);
          }
          checkInvariants(s);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
