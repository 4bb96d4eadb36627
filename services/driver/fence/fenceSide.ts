/**
 * The fence discipline's place in the driver actor: attach the device's discipline (policy,
 * lockdep checker, publisher) once the device registers, and honour `MemoryPressureApplied`
 * from the GPU's memory (`gpu<N>.mem.pressure`) — pressure that arrives before the device
 * registered is applied when it does.
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import type { SignallingAllocPolicy } from "../../fence/index.ts";
import { MemoryPressureApplied } from "../../memory/memoryEvents.ts";
import { memoryPaths } from "../../memory/memoryReplica.ts";
import type { KTask } from "../ktask.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { attachFenceDiscipline } from "./discipline.ts";
import { gemShrinkerWork, lowerGemLimit } from "./pressure.ts";

/** Paths the driver actor `drv<gpu>` subscribes to for the discipline: the GPU's memory pressure. */
export function fenceSideSubscriptions(gpu: number): string[] {
  return [memoryPaths(gpu).pressure];
}

/** What the driver actor calls. */
export interface FenceSide {
  /** The device registered: attach its discipline; `spawn` starts kernel tasks. */
  attach(d: DriverState, spawn: (name: string, task: KTask<void>) => void): void;
  /** Offer a delivered event; true when it was the discipline's. */
  handle(e: Envelope): boolean;
}

/** The fence side of driver `drv<gpu>` with `policy` (default safe). */
export function createFenceSide(ctx: ActorContext, gpu: number, policy: SignallingAllocPolicy = "safe"): FenceSide {
  let kc: KernelCtx | undefined;
  let shrinking = false;
  const pending: number[] = [];
  const pressure = (bytes: number) => {
    const k = kc!;
    k.spawn("gem-pressure", (function* () {
      const owed = yield* lowerGemLimit(k, bytes);
      if (!owed || shrinking) return;
      shrinking = true;
      yield* gemShrinkerWork(k);
      shrinking = false;
    })());
  };
  return {
    attach(d, spawn) {
      attachFenceDiscipline(d, policy, ctx);
      kc = { d, now: () => ctx.nowNs(), spawn };
      for (const bytes of pending.splice(0)) pressure(bytes);
    },
    handle(e) {
      if (!EventRegistry.is(MemoryPressureApplied, e)) return false;
      if (kc === undefined) pending.push(e.payload.bytes);
      else pressure(e.payload.bytes);
      return true;
    },
  };
}
