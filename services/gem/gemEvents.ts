/**
 * Events of the GEM shmem decider (past-tense facts) and the commands it decides on. Event
 * payloads are zod schemas via `defineEvent`, so the driver actor can register and publish them
 * unchanged; a decider event is `{ type, payload }`, the envelope's own two fields.
 */
import { z } from "zod";
import { defineEvent, type PayloadOf } from "../../shared/events/registry.ts";

const id = z.number().int().nonnegative();
const frames = z.array(id);

/** A VM as a DRM file names it (`exclusive_vm_id` is per file). */
export const VmRefSchema = z.object({ file: id, vmId: id });
/** `drm_gem_shmem_madvise` states; `purged` is the kernel's negative `madv` after a purge. */
export const MadvSchema = z.enum(["willneed", "dontneed", "purged"]);
/** A madvise state. */
export type Madv = z.infer<typeof MadvSchema>;

/** BO_CREATE succeeded: a new object with its first handle in `file`. */
export const GemObjectCreated = defineEvent(
  "GemObjectCreated",
  z.object({ obj: id, file: id, handle: id, size: id, flags: id, exclusiveVm: VmRefSchema.optional() }),
  "A GEM shmem object was created (size page-rounded) and a handle to it opened in a DRM file.",
);
/** A handle went away (GEM_CLOSE or file close). */
export const GemHandleClosed = defineEvent("GemHandleClosed", z.object({ obj: id, file: id, handle: id }), "A GEM handle was closed.");
/** BO_MMAP_OFFSET assigned the object's fake offset (once per object). */
export const GemMmapOffsetAssigned = defineEvent(
  "GemMmapOffsetAssigned",
  z.object({ obj: id, offset: id }),
  "The object got its fake mmap offset in the DRM VMA offset space.",
);
/** Pages were given to the object; `restore` means the shell copies back what was swapped out, else zero-fills. */
export const GemPagesAllocated = defineEvent(
  "GemPagesAllocated",
  z.object({ obj: id, frames, restore: z.boolean() }),
  "The object's backing pages were allocated (zeroed, or restored from swap).",
);
/** `drm_gem_shmem_pin`. */
export const GemPinned = defineEvent("GemPinned", z.object({ obj: id }), "The object's pages were pinned.");
/** `drm_gem_shmem_unpin`. */
export const GemUnpinned = defineEvent("GemUnpinned", z.object({ obj: id }), "A pin on the object's pages was dropped.");
/** A GPU VM started mapping the object (a panthor vm_bo appeared): a reference and a pin. */
export const GemGpuMapped = defineEvent("GemGpuMapped", z.object({ obj: id }), "A GPU VM mapped the object (reference and pin taken).");
/** A GPU VM stopped mapping the object. */
export const GemGpuUnmapped = defineEvent("GemGpuUnmapped", z.object({ obj: id }), "A GPU VM no longer maps the object.");
/** An in-flight job took a reference. */
export const GemJobRefTaken = defineEvent("GemJobRefTaken", z.object({ obj: id }), "An in-flight job referenced the object.");
/** An in-flight job dropped its reference. */
export const GemJobRefDropped = defineEvent("GemJobRefDropped", z.object({ obj: id }), "An in-flight job released the object.");
/** `drm_gem_shmem_madvise` changed the object's state. */
export const GemMadvised = defineEvent("GemMadvised", z.object({ obj: id, madv: MadvSchema }), "The object's madvise state changed.");
/** The shrinker purged a DONTNEED object: pages freed, contents gone for good. */
export const GemPurged = defineEvent("GemPurged", z.object({ obj: id, frames }), "The shrinker purged the object; its contents are lost.");
/** The shrinker swapped an idle object out: the shell saves the contents, pages go back to the pool. */
export const GemSwappedOut = defineEvent("GemSwappedOut", z.object({ obj: id, frames }), "The shrinker swapped the object out.");
/** A run of frames given up under memory pressure. */
export const ExtentSchema = z.object({ start: id, count: id });
/**
 * Memory pressure lowered the GEM system-memory limit: the frames in `taken` left the pool for
 * good (another tenant has them); `owedBytes` could not be given up yet (busy objects hold them)
 * and leave the pool as soon as frames are free. `reclaimedBytes`: what the shrinker freed first.
 */
export const GemLimitLowered = defineEvent(
  "GemLimitLowered",
  z.object({ limitBytes: id, taken: z.array(ExtentSchema), owedBytes: id, reclaimedBytes: id }),
  "The GEM system-memory limit shrank under memory pressure: free frames given up, the rest still owed.",
);
/** The last reference went: the object and its pages are freed. */
export const GemObjectFreed = defineEvent("GemObjectFreed", z.object({ obj: id, frames }), "The object's last reference was dropped and it was freed.");

/** Every GEM event definition, for registration with the event registry. */
export const GEM_EVENTS = [
  GemObjectCreated, GemHandleClosed, GemMmapOffsetAssigned, GemPagesAllocated, GemPinned, GemUnpinned, GemGpuMapped,
  GemGpuUnmapped, GemJobRefTaken, GemJobRefDropped, GemMadvised, GemPurged, GemSwappedOut, GemObjectFreed, GemLimitLowered,
] as const;

type Def = (typeof GEM_EVENTS)[number];
/** One GEM event as the decider emits it. */
export type GemEvent = { [D in Def as D["type"]]: { readonly type: D["type"]; readonly payload: PayloadOf<D> } }[Def["type"]];
/** The payload of the GEM event named `T`. */
export type GemPayload<T extends GemEvent["type"]> = Extract<GemEvent, { type: T }>["payload"];

/** A VM reference. */
export type VmRef = z.infer<typeof VmRefSchema>;

/**
 * Commands the driver sends. `create`, `close`, `closeFile` and `mmapOffset` come from user space
 * and name objects by (file, handle); the rest come from the driver and name the object itself,
 * as the kernel holds an object pointer once it has looked the handle up.
 */
export type GemCommand =
  | { readonly type: "create"; readonly file: number; readonly size: number; readonly flags: number; readonly exclusiveVm?: VmRef }
  | { readonly type: "close"; readonly file: number; readonly handle: number }
  | { readonly type: "closeFile"; readonly file: number }
  | { readonly type: "mmapOffset"; readonly file: number; readonly handle: number }
  | { readonly type: "pin" | "mapOnGpu"; readonly obj: number; /** Allocate without reclaim (GFP_NOWAIT): -ENOMEM instead of shrinking. */ readonly noReclaim?: boolean }
  | { readonly type: "unpin" | "unmapFromGpu" | "jobGet" | "jobPut"; readonly obj: number }
  | { readonly type: "madvise"; readonly obj: number; readonly madv: "willneed" | "dontneed" }
  | { readonly type: "shrink"; readonly targetBytes: number }
  /** Memory pressure took `bytes`: lower the limit, give up free frames, reclaim idle objects, owe the rest. */
  | { readonly type: "lowerLimit"; readonly bytes: number }
  /** Give up owed bytes from whatever is free or idle now. */
  | { readonly type: "repay" };
