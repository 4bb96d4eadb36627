import { EventRegistry } from "../../shared/events/registry.ts";
import { CsgStateChanged } from "../../services/firmware/firmwareEvents.ts";
import { StateTracks } from "../stateTracks.ts";
import type { TraceContext } from "../traceContext.ts";
import { csgTrack } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/**
 * The MCU firmware's CSG slots: each slot's group as a state track `CSG n` (`running`,
 * `suspended`; empty once terminated) with priority and AS as args. The firmware's other facts
 * (acks, CS idle/blocked/faults, sync-object updates) are drawn generically on the `CSG n` and
 * `CSG n CS m` tracks their payload names (see genericTrace.ts).
 */
export function firmwareRenderer(ctx: TraceContext): Renderer {
  const states = new StateTracks(ctx);
  return {
    types: [CsgStateChanged.type],
    draw(e) {
      if (!EventRegistry.is(CsgStateChanged, e)) return;
      const { csg, state, request, priority, as } = e.payload;
      const where = csgTrack(ctx.gpuOf(e) ?? 0, csg);
      const slice = states.set(where, state === "terminated" ? undefined : state, "firmware", { priority, as, request }, e);
      if (slice === undefined) ctx.instant(where, `${request}: terminated`, "firmware", { priority, as }, e);
    },
    finish: () => states.finish(),
  };
}
