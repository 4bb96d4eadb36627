import { describe, expect, it } from "vitest";
import type { ErrnoName } from "../../shared/gpu/errno.ts";
import { decide, isGemError, mmapOffsetOf } from "./gemDecide.ts";
import type { GemCommand, GemEvent, VmRef } from "./gemEvents.ts";
import { DRM_PANTHOR_BO, evolve, initialState, lookupHandle, type GemState } from "./gemState.ts";

const PG = 4096;
const FIRST = 1000; // first frame of the GEM pool
const init = initialState(8 * PG, { firstFrame: FIRST });

/** given(events…).when(command).then(events…) | .thenFails(errno): the decider as a sentence. */
function given(...events: GemEvent[]) {
  return {
    when(command: GemCommand, start: GemState = init) {
      const state = events.reduce(evolve, start);
      const result = decide(command, state);
      return {
        then: (...expected: GemEvent[]) => expect(result).toEqual(expected),
        thenFails: (errno: ErrnoName) => expect(isGemError(result) && result.errno).toBe(errno),
        after: () => {
          if (isGemError(result)) throw new Error(`${result.errno}: ${result.reason}`);
          return result.reduce(evolve, state);
        },
      };
    },
  };
}

const frames = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i);
const created = (obj: number, file: number, handle: number, size: number, flags = 0, exclusiveVm?: VmRef): GemEvent =>
  ({ type: "GemObjectCreated", payload: { obj, file, handle, size, flags, ...(exclusiveVm && { exclusiveVm }) } });
const closed = (obj: number, file: number, handle: number): GemEvent => ({ type: "GemHandleClosed", payload: { obj, file, handle } });
const allocated = (obj: number, f: number[], restore = false): GemEvent => ({ type: "GemPagesAllocated", payload: { obj, frames: f, restore } });
const ev = (type: "GemPinned" | "GemUnpinned" | "GemGpuMapped" | "GemGpuUnmapped" | "GemJobRefTaken" | "GemJobRefDropped", obj: number): GemEvent =>
  ({ type, payload: { obj } });
const freed = (obj: number, f: number[] = []): GemEvent => ({ type: "GemObjectFreed", payload: { obj, frames: f } });
const madvised = (obj: number, madv: "willneed" | "dontneed"): GemEvent => ({ type: "GemMadvised", payload: { obj, madv } });
const mapped = (obj: number, f: number[]) => [allocated(obj, f), ev("GemGpuMapped", obj)];

describe("BO_CREATE (panthor.md §1.7)", () => {
  it("rounds the size up to whole pages and opens handle 1 in the file (IGT: 5000 and 4096+904 give 8192)", () => {
    given().when({ type: "create", file: 1, size: 5000, flags: 0 }).then(created(1, 1, 1, 8192));
    given().when({ type: "create", file: 1, size: 4096 + 904, flags: DRM_PANTHOR_BO.WB_MMAP }).then(created(1, 1, 1, 8192, 2));
  });

  it("refuses a zero size, unknown flags, and NO_MMAP together with WB_MMAP with -EINVAL", () => {
    given().when({ type: "create", file: 1, size: 0, flags: 0 }).thenFails("EINVAL");
    given().when({ type: "create", file: 1, size: PG, flags: 1 << 2 }).thenFails("EINVAL");
    given().when({ type: "create", file: 1, size: PG, flags: DRM_PANTHOR_BO.NO_MMAP | DRM_PANTHOR_BO.WB_MMAP }).thenFails("EINVAL");
  });

  it("hands out the lowest free handle of each file, reusing a closed one", () => {
    const g = given(created(1, 1, 1, PG), created(2, 1, 2, PG), closed(1, 1, 1), freed(1));
    g.when({ type: "create", file: 1, size: PG, flags: 0 }).then(created(3, 1, 1, PG));
    g.when({ type: "create", file: 2, size: PG, flags: 0 }).then(created(3, 2, 1, PG));
  });

  it("remembers the VM of an exclusive-VM BO", () => {
    given().when({ type: "create", file: 1, size: PG, flags: 0, exclusiveVm: { file: 1, vmId: 3 } }).then(created(1, 1, 1, PG, 0, { file: 1, vmId: 3 }));
  });

  it("allocates no pages at creation, so a BO larger than the memory limit is created and fails only when mapped", () => {
    const g = given(created(1, 1, 1, 64 * PG));
    g.when({ type: "create", file: 1, size: 64 * PG, flags: 0 }).then(created(2, 1, 2, 64 * PG));
    g.when({ type: "mapOnGpu", obj: 1 }).thenFails("ENOMEM");
  });
});

describe("handles are per DRM file (GEM_CLOSE, BO_MMAP_OFFSET)", () => {
  it("frees an unmapped object when its last handle closes", () => {
    given(created(1, 1, 1, PG)).when({ type: "close", file: 1, handle: 1 }).then(closed(1, 1, 1), freed(1));
  });

  it("does not know file A's handle in file B: GEM_CLOSE says -EINVAL, BO_MMAP_OFFSET -ENOENT", () => {
    const g = given(created(1, 1, 1, PG));
    g.when({ type: "close", file: 2, handle: 1 }).thenFails("EINVAL");
    g.when({ type: "mmapOffset", file: 2, handle: 1 }).thenFails("ENOENT");
    g.when({ type: "close", file: 1, handle: 7 }).thenFails("EINVAL");
  });

  it("keeps a GPU-mapped object alive after its handle closes, until the VM unmaps it and its pages are freed", () => {
    const g = given(created(1, 1, 1, 2 * PG), ...mapped(1, frames(FIRST, 2)), closed(1, 1, 1));
    const s = g.when({ type: "jobGet", obj: 1 }).after();
    expect([lookupHandle(s, 1, 1), s.objects.get(1)?.handles]).toEqual([undefined, 0]);
    g.when({ type: "unmapFromGpu", obj: 1 }).then(ev("GemGpuUnmapped", 1), freed(1, frames(FIRST, 2)));
  });

  it("closes every handle of a file when the file closes, in handle order", () => {
    given(created(1, 1, 1, PG), created(2, 2, 1, PG), created(3, 1, 2, PG), ev("GemJobRefTaken", 3))
      .when({ type: "closeFile", file: 1 })
      .then(closed(1, 1, 1), freed(1), closed(3, 1, 2));
  });

  it("assigns fake mmap offsets from 4 GiB, once per object, sized by the object", () => {
    const s = given(created(1, 1, 1, 2 * PG), created(2, 1, 2, PG)).when({ type: "mmapOffset", file: 1, handle: 1 }).after();
    expect(mmapOffsetOf(s, 1, 1)).toBe(2 ** 32);
    expect(decide({ type: "mmapOffset", file: 1, handle: 1 }, s)).toEqual([]);
    expect(decide({ type: "mmapOffset", file: 1, handle: 2 }, s)).toEqual([{ type: "GemMmapOffsetAssigned", payload: { obj: 2, offset: 2 ** 32 + 2 * PG } }]);
  });

  it("refuses an mmap offset for a NO_MMAP BO with -EPERM", () => {
    given(created(1, 1, 1, PG, DRM_PANTHOR_BO.NO_MMAP)).when({ type: "mmapOffset", file: 1, handle: 1 }).thenFails("EPERM");
  });
});

describe("pages, pins, GPU mappings and job references", () => {
  it("allocates zeroed pages lowest-free-first on the first GPU mapping and only counts later ones", () => {
    const g = given(created(1, 1, 1, 2 * PG), created(2, 1, 2, PG), ...mapped(2, [FIRST]));
    g.when({ type: "mapOnGpu", obj: 1 }).then(allocated(1, [FIRST + 1, FIRST + 2]), ev("GemGpuMapped", 1));
    g.when({ type: "mapOnGpu", obj: 2 }).then(ev("GemGpuMapped", 2));
    g.when({ type: "pin", obj: 2 }).then(ev("GemPinned", 2));
  });

  it("refuses to drop a pin, mapping or job reference that is not held, and unknown objects", () => {
    const g = given(created(1, 1, 1, PG));
    g.when({ type: "unpin", obj: 1 }).thenFails("EINVAL");
    g.when({ type: "unmapFromGpu", obj: 1 }).thenFails("EINVAL");
    g.when({ type: "jobPut", obj: 1 }).thenFails("EINVAL");
    g.when({ type: "pin", obj: 9 }).thenFails("ENOENT");
  });

  it("keeps an object referenced by an in-flight job until the job drops it", () => {
    given(created(1, 1, 1, PG), ev("GemJobRefTaken", 1), closed(1, 1, 1)).when({ type: "jobPut", obj: 1 }).then(ev("GemJobRefDropped", 1), freed(1));
  });

  it("frees an object's pages back to the pool, so the next allocation reuses the lowest frames", () => {
    const s = given(created(1, 1, 1, 2 * PG), ...mapped(1, frames(FIRST, 2)), ev("GemGpuUnmapped", 1), closed(1, 1, 1), freed(1, frames(FIRST, 2)), created(2, 1, 1, PG))
      .when({ type: "mapOnGpu", obj: 2 }).after();
    expect(s.objects.get(2)?.pages).toEqual([FIRST]);
  });
});

describe("the system-memory limit and the shrinker under allocation", () => {
  it("fails with -ENOMEM and changes nothing when every resident object is pinned or mapped", () => {
    given(created(1, 1, 1, 6 * PG), ...mapped(1, frames(FIRST, 6)), created(2, 1, 2, 4 * PG)).when({ type: "pin", obj: 2 }).thenFails("ENOMEM");
  });

  it("swaps out an idle object to make room, then restores it when it is mapped again", () => {
    const g = given(created(1, 1, 1, 6 * PG), ...mapped(1, frames(FIRST, 6)), ev("GemGpuUnmapped", 1), created(2, 1, 2, 4 * PG));
    g.when({ type: "mapOnGpu", obj: 2 }).then(
      { type: "GemSwappedOut", payload: { obj: 1, frames: frames(FIRST, 6) } },
      allocated(2, frames(FIRST, 4)),
      ev("GemGpuMapped", 2),
    );
    const s = g.when({ type: "mapOnGpu", obj: 2 }).after();
    expect(decide({ type: "unmapFromGpu", obj: 2 }, s)).toEqual([ev("GemGpuUnmapped", 2)]);
    const s2 = [ev("GemGpuUnmapped", 2)].reduce(evolve, s);
    expect(decide({ type: "pin", obj: 1 }, s2)).toEqual([
      { type: "GemSwappedOut", payload: { obj: 2, frames: frames(FIRST, 4) } },
      allocated(1, frames(FIRST, 6), true),
      ev("GemPinned", 1),
    ]);
  });

  it("purges DONTNEED objects before swapping WILLNEED ones, even more recently used ones", () => {
    given(created(1, 1, 1, 3 * PG), ...mapped(1, frames(FIRST, 3)), ev("GemGpuUnmapped", 1),
      created(2, 1, 2, 3 * PG), ...mapped(2, frames(FIRST + 3, 3)), ev("GemGpuUnmapped", 2), madvised(2, "dontneed"),
      created(3, 1, 3, 4 * PG))
      .when({ type: "pin", obj: 3 })
      .then({ type: "GemPurged", payload: { obj: 2, frames: frames(FIRST + 3, 3) } }, allocated(3, [...frames(FIRST + 3, 3), FIRST + 6]), ev("GemPinned", 3));
  });

  it("never gives pages to a DONTNEED or purged object, and a purged object stays purged", () => {
    const g = given(created(1, 1, 1, PG), madvised(1, "dontneed"));
    g.when({ type: "pin", obj: 1 }).thenFails("EBUSY");
    const purged = given(created(1, 1, 1, PG), allocated(1, [FIRST]), madvised(1, "dontneed"), { type: "GemPurged", payload: { obj: 1, frames: [FIRST] } });
    purged.when({ type: "madvise", obj: 1, madv: "willneed" }).then();
    purged.when({ type: "mapOnGpu", obj: 1 }).thenFails("EBUSY");
  });

  it("without swap only purges, so idle WILLNEED objects cannot make room", () => {
    const noSwap = initialState(8 * PG, { firstFrame: FIRST, swapEnabled: false });
    given(created(1, 1, 1, 6 * PG), allocated(1, frames(FIRST, 6)), created(2, 1, 2, 4 * PG)).when({ type: "pin", obj: 2 }, noSwap).thenFails("ENOMEM");
  });
});
