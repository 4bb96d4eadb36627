/**
 * The per-device fence-signalling discipline: the allocation policy of the signalling paths
 * (`safe` | `unsafe`, the scenario's `driver.fencePolicy`), the lockdep model that watches them
 * ({@link SignallingChecker}, primed as `dma_resv_lockdep()` does at boot), the memory reserved at
 * submit for job completion, and the paths caught in reclaim.
 *
 * Held in the driver state (`DriverState.fence`); the hooks in the job, bind and heap paths reach
 * it with one call each. A device whose driver actor never attached a discipline (unit tests that
 * build a bare state) gets the safe policy and publishes nothing.
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import type { EventDef, PayloadOf } from "../../../shared/events/registry.ts";
import { SignallingChecker, type DmaFence, type SignallingAllocPolicy } from "../../fence/index.ts";
import type { DriverState } from "../uapi/driverState.ts";

/** Publish a fact from a plain (non-task) driver function, with the actor's causation. */
export type Publish = <D extends EventDef>(def: D, path: string, payload: PayloadOf<D>) => void;

/** The discipline of one device (see the module comment). */
export interface FenceDiscipline {
  readonly policy: SignallingAllocPolicy;
  readonly checker: SignallingChecker;
  readonly publish: Publish;
  /** Completion memory preallocated at submit (the safe policy), by done-fence id, with its fence. */
  readonly reserves: Map<number, DmaFence>;
  /** Groups whose `group_sync_upd_work` is asleep in reclaim (waiting) or deadlocked, by group uid. */
  readonly inReclaim: Map<number, "waiting" | "deadlocked">;
  /** Objects a signalling path is populating: their pages come without reclaim (GFP_NOWAIT). */
  readonly noReclaimObjs: Set<number>;
}

/** Attach the discipline of `d` (once, from the driver actor when the device registers). */
export function attachFenceDiscipline(d: DriverState, policy: SignallingAllocPolicy, ctx?: Pick<ActorContext, "publish">): FenceDiscipline {
  const f: FenceDiscipline = {
    policy,
    checker: new SignallingChecker(),
    publish: ctx === undefined ? () => {} : (def, path, payload) => void ctx.publish(def, path, payload),
    reserves: new Map(),
    inReclaim: new Map(),
    noReclaimObjs: new Set(),
  };
  d.fence = f;
  return f;
}

/** The discipline of `d`: the attached one, else a silent safe one. */
export function disciplineOf(d: DriverState): FenceDiscipline {
  return d.fence ?? attachFenceDiscipline(d, "safe");
}
