import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { PhysicalAddressError, type PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { FaultBook, type TakenFault } from "../faults/faultBook.ts";
import { MemoryPressureApplied, MemoryWriteFailed, MemoryWritten } from "./memoryEvents.ts";
import { decodeBytesTransient } from "./memoryWrites.ts";

/** Subject paths of a GPU's system RAM. */
export const memoryPaths = (gpu: number) => ({
  write: `gpu${gpu}.mem.write`,
  error: `gpu${gpu}.mem.error`,
  /** `MemoryPressureApplied`: RAM taken away (injected `memory-pressure`), for the driver's GEM limit. */
  pressure: `gpu${gpu}.mem.pressure`,
});

/**
 * One process's replica of the system RAM GPU `gpu` shares with the CPU and MCU (RK3588 has no
 * VRAM): actor `gpu<N>.mem`, which applies every `MemoryWritten` to `mem` when the event is
 * delivered. Writes are the only way bytes change, so every process and every replay hold the
 * same bytes at the same point of the log.
 *
 * Other actors of the same process (the MMU's page-table walks, the shader cores) read `mem`
 * directly and never write it: they publish `MemoryWritten` instead. Frame allocation is the
 * writer's business (the driver's page allocator; a test's own bookkeeping) and is not
 * replicated — the replica only stores bytes.
 *
 * Ordering assumption: the replica must be hosted before every other actor of its GPU (the
 * world lists it first). The in-memory bus delivers an event to subscriptions in the order they
 * were made, so the bytes are in place before any other actor sees the same `MemoryWritten`.
 *
 * Simplified: no caches, so a write is visible to every agent as soon as it is delivered (the
 * real GPU needs cache maintenance for non-coherent mappings).
 *
 * It also applies the injected `memory-pressure` fault: the RAM left to the GPU shrinks, reported
 * as `MemoryPressureApplied`. The bytes stay (a replica must never lose a write); honouring the
 * smaller limit is the driver's GEM shrinker's job.
 */
export function memoryReplicaActor(gpu: number, mem: PhysicalMemory): ActorSpec {
  const paths = memoryPaths(gpu);
  return {
    name: `gpu${gpu}.mem`,
    subscribes: [paths.write, INJECT_PATH],
    create(ctx: ActorContext): ActorBehaviour {
      let writes = 0;
      let bytesWritten = 0;
      let takenBytes = 0;
      const book = new FaultBook(ctx, gpu, "mem");
      const squeeze = (f: TakenFault) => {
        if (f.fault.kind !== "memory-pressure") return;
        const bytes = Math.min(f.fault.bytes, mem.size - takenBytes);
        if (bytes <= 0) return book.rejected(f, `no RAM left to take (${takenBytes} of ${mem.size} bytes already taken)`);
        takenBytes += bytes;
        book.applied(f.id, f.fault.kind, `${bytes} bytes of system RAM taken; ${mem.size - takenBytes} left`);
        ctx.publish(MemoryPressureApplied, paths.pressure, { bytes, takenBytes, availableBytes: mem.size - takenBytes });
      };
      return {
        handle(e: Envelope) {
          const now = book.take(e);
          if (now !== undefined) squeeze(now);
          for (const f of book.fired(e)) squeeze(f);
          if (!EventRegistry.is(MemoryWritten, e)) return;
          const pa = e.payload.pa;
          // `mem.write` copies the bytes into its pages, so a transient view is enough.
          const bytes = decodeBytesTransient(e.payload.data);
          try {
            mem.write(pa, bytes);
          } catch (err) {
            if (!(err instanceof PhysicalAddressError)) throw err;
            ctx.publish(MemoryWriteFailed, paths.error, { agent: e.payload.agent, pa, len: bytes.length, reason: err.message });
            return;
          }
          writes++;
          bytesWritten += bytes.length;
        },
        snapshot() {
          return { sizeBytes: mem.size, touchedFrames: mem.touchedFrames, writes, bytesWritten, pressureBytes: takenBytes, faults: book.snapshot() };
        },
      };
    },
  };
}
