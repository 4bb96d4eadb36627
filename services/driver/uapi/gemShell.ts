/**
 * The shell around the GEM shmem decider (`services/gem`): run a command, publish its events on
 * `drv<N>.gem`, fold them into the driver state, and do what the events ask of memory:
 *
 * - `GemPagesAllocated` (fresh): the pages are zero-filled, as shmem hands out cleared pages.
 *   The CPU's clearing stores are `MemoryWritten` zero pages; a frame whose bytes in RAM are
 *   already all zero is not rewritten (the store would change nothing) — the log stays small and
 *   the RAM is the same;
 * - `GemPagesAllocated` (restore) writes back what `GemSwappedOut` saved;
 * - `GemSwappedOut` saves the object's non-zero pages from RAM (the swap device's copy);
 * - `GemPurged` / `GemObjectFreed` drop the saved copy and the label.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import { GEM_EVENTS, decide, evolve, isGemError, type GemCommand, type GemEvent } from "../../gem/index.ts";
import { MemoryWritten } from "../../memory/memoryEvents.ts";
import { memoryPaths } from "../../memory/memoryReplica.ts";
import { encodeWrite } from "../../memory/memoryWrites.ts";
import { withAllocScope } from "../fence/allocScope.ts";
import { emit, type KTask } from "../ktask.ts";
import type { DriverState } from "./driverState.ts";
import { uapiPaths } from "./uapiPaths.ts";

/** Outcome of a GEM command: the events it caused, or the negative errno. */
export type GemRun = { readonly ok: true; readonly events: readonly GemEvent[] } | { readonly ok: false; readonly ret: number };

const DEF_BY_TYPE = new Map(GEM_EVENTS.map((d) => [d.type, d]));

/**
 * Whether every byte is 0. Scans whole 32-bit words when the bytes are word-aligned (a page read
 * from RAM always is): fresh GEM pages are checked a page at a time, and a byte iterator over
 * 4 KiB showed in profiles.
 */
export function isZero(bytes: Uint8Array): boolean {
  const words = bytes.byteOffset % 4 === 0 ? bytes.length >>> 2 : 0;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) if (w[i] !== 0) return false;
  }
  for (let i = words * 4; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** The memory side effects of one GEM event, as `MemoryWritten` payloads (and swap bookkeeping). */
function memoryEffects(d: DriverState, e: GemEvent): ReturnType<typeof encodeWrite>[] {
  const out: ReturnType<typeof encodeWrite>[] = [];
  switch (e.type) {
    case "GemPagesAllocated": {
      const saved = e.payload.restore ? d.swap.get(e.payload.obj) : undefined;
      e.payload.frames.forEach((frame, i) => {
        const pa = frame * PAGE_SIZE;
        const want = saved?.get(i);
        if (want !== undefined) out.push(encodeWrite("cpu", pa, want));
        else if (!isZero(d.ram.read(pa, PAGE_SIZE))) out.push(encodeWrite("cpu", pa, new Uint8Array(PAGE_SIZE)));
      });
      d.swap.delete(e.payload.obj);
      return out;
    }
    case "GemSwappedOut": {
      const pages = new Map<number, Uint8Array>();
      e.payload.frames.forEach((frame, i) => {
        const bytes = d.ram.read(frame * PAGE_SIZE, PAGE_SIZE);
        if (!isZero(bytes)) pages.set(i, bytes);
      });
      d.swap.set(e.payload.obj, pages);
      return out;
    }
    case "GemPurged":
      d.swap.delete(e.payload.obj);
      return out;
    case "GemObjectFreed":
      d.swap.delete(e.payload.obj);
      d.labels.delete(e.payload.obj);
      d.exclusiveOwner.delete(e.payload.obj);
      return out;
    default:
      return out;
  }
}

/**
 * Decide `cmd` against the current GEM state (pages without reclaim for objects a fence-signalling
 * path populates, `fence/allocScope.ts`); on success publish and fold every event (with its
 * memory effects) and return them, else return the errno and change nothing.
 */
export function* gemRun(d: DriverState, cmd: GemCommand): KTask<GemRun> {
  const r = decide(withAllocScope(d, cmd), d.gem);
  if (isGemError(r)) return { ok: false, ret: -ERRNO[r.errno] };
  const gpu = d.dev.gpu;
  for (const e of r) {
    const writes = memoryEffects(d, e);
    d.gem = evolve(d.gem, e);
    yield* emit(DEF_BY_TYPE.get(e.type)!, uapiPaths(gpu).gem, e.payload as never);
    for (const w of writes) yield* emit(MemoryWritten, memoryPaths(gpu).write, w);
  }
  return { ok: true, events: r };
}
