import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { AsCommandCompleted, AsCommandIssued, AsCommandRejected, AsFaultRaised } from "../../services/mmu/mmuEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import { hex } from "../traceEvent.ts";
import type { Pending } from "../traceQueue.ts";
import { gpuTrack, type TrackRef } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

interface Command {
  readonly key: string;
  readonly command: string;
  readonly slice: Pending;
  readonly release: () => void;
}

/** The track of address space `as` of GPU `gpu` (AS commands, faults, translations). */
export const asTrack = (gpu: number, as: number): TrackRef => gpuTrack(gpu, "as", `AS${as}`);

/**
 * The MMU: each AS command is a slice on its address space's track (`AS1`), from AsCommandIssued
 * (args: the AS registers it acts on) to AsCommandCompleted — AS_STATUS.AS_ACTIVE as a slice.
 * Rejected commands and AS faults (exception name, AS_FAULTSTATUS, AS_FAULTADDRESS) are instants
 * on the same track.
 */
export function mmuRenderer(ctx: TraceContext): Renderer {
  const active: Command[] = [];
  const gpuOf = (e: Envelope) => ctx.gpuOf(e) ?? 0;

  return {
    types: [AsCommandIssued.type, AsCommandCompleted.type, AsCommandRejected.type, AsFaultRaised.type],
    draw(e) {
      if (EventRegistry.is(AsCommandIssued, e)) {
        const { as, command, ...regs } = e.payload;
        const lane = ctx.lanes.acquire(asTrack(gpuOf(e), as));
        const slice = ctx.begin(lane.track, command, "mmu", { as, ...regs }, e);
        active.push({ key: `${gpuOf(e)}/${as}`, command, slice, release: lane.release });
      } else if (EventRegistry.is(AsCommandCompleted, e)) {
        const { as, command } = e.payload;
        const key = `${gpuOf(e)}/${as}`;
        const i = active.findIndex((c) => c.key === key && c.command === command);
        const c = i < 0 ? undefined : active.splice(i, 1)[0];
        if (c === undefined) return void ctx.instant(asTrack(gpuOf(e), as), `${command} completed`, "mmu", { as, command }, e);
        ctx.end(c.slice);
        c.release();
      } else if (EventRegistry.is(AsCommandRejected, e)) {
        const { as, command, reason } = e.payload;
        ctx.instant(asTrack(gpuOf(e), as), `${command} rejected: ${reason}`, "rejection", { as, command, reason }, e);
      } else if (EventRegistry.is(AsFaultRaised, e)) {
        const { as, exceptionName, faultStatus, faultAddress, ...rest } = e.payload;
        ctx.instant(asTrack(gpuOf(e), as), `fault ${exceptionName}`, "fault", { as, exceptionName, faultStatus: hex(faultStatus), faultAddress: hex(faultAddress), ...rest }, e);
      }
    },
    finish() {
      for (const c of active.splice(0)) ctx.end(c.slice, { unfinished: true });
    },
  };
}
