import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { pathOf } from "../../shared/events/subjects.ts";
import type { Opp } from "../../shared/gpu/model.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { FaultBook, type TakenFault } from "../faults/faultBook.ts";
import type { SupplyRequest } from "./supplyBank.ts";
import { PowerSupplyFaultArmed } from "./supplyEvents.ts";
import type { SupplyKind } from "./supplyMachine.ts";

/** What the power controller's fault hooks act on. */
export interface PowerFaultDeps {
  /** Pass a request to a supply; false when the model lacks it. */
  readonly supply: (kind: SupplyKind, name: string, req: SupplyRequest) => boolean;
  /** The lowest OPP and the clock's current rate. */
  readonly lowestOpp: Opp;
  readonly currentHz: () => number;
  /** Switch to an OPP (the frequency machine's SET). */
  readonly setOpp: (opp: Opp) => void;
}

/** The power controller's injected faults (see {@link createPowerFaults}). */
export interface PowerFaults {
  /** Take a `FaultInjected`, note a legacy `PowerSupplyFaultArmed`, fire triggers; call before handling `e`. */
  offer(e: Envelope): void;
  /** A supply enable failed because a fault was armed on it: report which fault, before the failure event. */
  supplyFailed(kind: SupplyKind, name: string): void;
  /** The `dvfs-stuck` fault refuses this frequency change (reported): true when it did. */
  refusesFrequency(): boolean;
  snapshot(): unknown;
}

/**
 * The faults the power controller applies (`gpu<N>.pwr`): `supply-failure` arms the supply
 * machine's fault (next or every enable fails, `supplyMachine.ts`) and reports each failure it
 * causes as `FaultApplied`, for the newer `FaultInjected` and the older `PowerSupplyFaultArmed`
 * alike; `dvfs-stuck` switches to the lowest OPP and refuses every later frequency change.
 */
export function createPowerFaults(ctx: ActorContext, gpu: number, deps: PowerFaultDeps): PowerFaults {
  const book = new FaultBook(ctx, gpu, "pwr");
  /** The fault armed on each supply (`clock:core`), by the id of the event that armed it. */
  const armedBy = new Map<string, { id: string; always: boolean }>();
  let stuck: string | undefined;

  const act = (f: TakenFault): void => {
    const fault = f.fault;
    if (fault.kind === "supply-failure") {
      if (!deps.supply(fault.target, fault.name, { type: "ARM", mode: fault.mode })) {
        book.rejected(f, `the GPU model has no ${fault.target} '${fault.name}'`);
        return;
      }
      armedBy.set(`${fault.target}:${fault.name}`, { id: f.id, always: fault.mode === "always" });
      if (f.trigger === undefined) book.armed(f, `${fault.mode === "always" ? "every" : "the next"} enable of ${fault.target} ${fault.name}`);
    } else if (fault.kind === "dvfs-stuck") {
      stuck = f.id;
      book.applied(f.id, fault.kind, `OPP pinned at ${deps.lowestOpp.hz / 1e6} MHz; frequency changes refused`);
      if (deps.currentHz() !== deps.lowestOpp.hz) deps.setOpp(deps.lowestOpp);
    }
  };

  return {
    offer(e) {
      if (EventRegistry.is(PowerSupplyFaultArmed, e) && (pathOf(e.subject) !== INJECT_PATH || (e.payload.gpu ?? 0) === gpu)) {
        armedBy.set(`${e.payload.target}:${e.payload.name}`, { id: e.id, always: e.payload.mode === "always" });
      }
      const now = book.take(e);
      if (now !== undefined) act(now);
      for (const f of book.fired(e)) act(f);
    },
    supplyFailed(kind, name) {
      const key = `${kind}:${name}`;
      const by = armedBy.get(key);
      if (by === undefined) return;
      if (!by.always) armedBy.delete(key);
      book.applied(by.id, "supply-failure", `${kind} ${name}: enable failed`);
    },
    refusesFrequency() {
      if (stuck === undefined) return false;
      book.applied(stuck, "dvfs-stuck", "frequency change refused");
      return true;
    },
    snapshot: () => ({ waiting: book.snapshot(), supplies: [...armedBy.keys()], dvfsStuck: stuck !== undefined }),
  };
}
