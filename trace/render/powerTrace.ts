import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { errnoName } from "../../shared/gpu/errno.ts";
import { DomainUtilisationReported, EnergyReported } from "../../services/power/energyEvents.ts";
import { FrequencyChangeRejected, FrequencyChanged, PowerDomainChanged, PowerRequestRejected, PowerTransitionStarted } from "../../services/power/powerEvents.ts";
import { ClockEnableFailed, ClockStateChanged, PowerSupplyRequestRejected, RegulatorEnableFailed, RegulatorStateChanged } from "../../services/power/supplyEvents.ts";
import { StateTracks } from "../stateTracks.ts";
import type { TraceContext } from "../traceContext.ts";
import { hex } from "../traceEvent.ts";
import { gpuPid, gpuTrack } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

const mV = (microvolt: number): number => Math.round(microvolt / 1000);

/**
 * The power controller: one state track per domain (`power l2`: `powering up` from
 * PowerTransitionStarted to PowerDomainChanged, then `on` or `off` until the next change, with the
 * READY and PWRTRANS masks as args), the `OPP` state track and the `frequency MHz` counter, one
 * state track per clock and regulator with a `supply mV` counter, rejections and supply failures
 * as instants on the track they concern, and the `utilisation` and `energy mJ` counters.
 */
export function powerRenderer(ctx: TraceContext): Renderer {
  const states = new StateTracks(ctx);
  const lastDirection = new Map<string, "up" | "down">();
  const lastReady = new Map<string, number>();
  const domainState = (e: Envelope, domain: string, ready: number, trans: number, direction?: "up" | "down") => {
    const track = gpuTrack(gpuOf(e), "power", `power ${domain}`);
    const key = `${track.pid}/${domain}`;
    if (direction !== undefined) lastDirection.set(key, direction);
    lastReady.set(key, ready);
    const state = trans !== 0 ? `powering ${lastDirection.get(key) ?? "up"}` : ready !== 0 ? "on" : "off";
    states.set(track, state, "power", { ready: hex(ready), trans: hex(trans) }, e);
  };
  const gpuOf = (e: Envelope): number => ctx.gpuOf(e) ?? 0;
  const instant = (e: Envelope, kind: "power" | "clock", track: string, name: string, args: Record<string, unknown>) =>
    ctx.instant(gpuTrack(gpuOf(e), kind, track), name, "rejection", args, e);

  return {
    types: [
      PowerTransitionStarted.type, PowerDomainChanged.type, PowerRequestRejected.type, FrequencyChanged.type, FrequencyChangeRejected.type,
      ClockStateChanged.type, ClockEnableFailed.type, RegulatorStateChanged.type, RegulatorEnableFailed.type, PowerSupplyRequestRejected.type,
      DomainUtilisationReported.type, EnergyReported.type,
    ],
    draw(e) {
      if (EventRegistry.is(PowerTransitionStarted, e)) {
        const { domain, direction, trans } = e.payload;
        const ready = lastReady.get(`${gpuPid(gpuOf(e))}/${domain}`) ?? 0;
        domainState(e, domain, ready, trans, direction);
      } else if (EventRegistry.is(PowerDomainChanged, e)) {
        domainState(e, e.payload.domain, e.payload.ready, e.payload.trans);
      } else if (EventRegistry.is(PowerRequestRejected, e)) {
        const { domain, mask, reason } = e.payload;
        instant(e, "power", `power ${domain}`, `rejected: ${reason}`, { mask: hex(mask), reason });
      } else if (EventRegistry.is(FrequencyChanged, e)) {
        const { hz, microvolt } = e.payload;
        ctx.counter(gpuPid(gpuOf(e)), "frequency", { MHz: hz / 1e6 });
        states.set(gpuTrack(gpuOf(e), "clock", "OPP"), `${hz / 1e6} MHz`, "dvfs", { hz, microvolt }, e);
      } else if (EventRegistry.is(FrequencyChangeRejected, e)) {
        instant(e, "clock", "OPP", `rejected ${e.payload.hz / 1e6} MHz: ${e.payload.reason}`, { ...e.payload });
      } else if (EventRegistry.is(ClockStateChanged, e)) {
        states.set(gpuTrack(gpuOf(e), "clock", `clock ${e.payload.clock}`), e.payload.enabled ? "enabled" : "gated", "supply", {}, e);
      } else if (EventRegistry.is(RegulatorStateChanged, e)) {
        const { regulator, enabled, microvolt } = e.payload;
        ctx.counter(gpuPid(gpuOf(e)), "supply mV", { [regulator]: enabled ? mV(microvolt) : 0 });
        states.set(gpuTrack(gpuOf(e), "clock", `regulator ${regulator}`), enabled ? `on ${mV(microvolt)} mV` : "off", "supply", { microvolt }, e);
      } else if (EventRegistry.is(ClockEnableFailed, e) || EventRegistry.is(RegulatorEnableFailed, e)) {
        const kind = e.type === ClockEnableFailed.type ? "clock" : "regulator";
        instant(e, "clock", `${kind} ${e.payload.name}`, `enable failed: ${errnoName(e.payload.errno)}`, { errno: e.payload.errno });
      } else if (EventRegistry.is(PowerSupplyRequestRejected, e)) {
        instant(e, "clock", `${e.payload.target} ${e.payload.name}`, `rejected: ${e.payload.reason}`, { ...e.payload });
      } else if (EventRegistry.is(DomainUtilisationReported, e)) {
        ctx.counter(gpuPid(gpuOf(e)), "utilisation", { [e.payload.domain]: e.payload.utilisation });
      } else if (EventRegistry.is(EnergyReported, e)) {
        const { totalJoules, perDomain } = e.payload;
        const mJ = (j: number) => j * 1000;
        ctx.counter(gpuPid(gpuOf(e)), "energy mJ", { total: mJ(totalJoules), l2: mJ(perDomain.l2.joules), tiler: mJ(perDomain.tiler.joules), shader: mJ(perDomain.shader.joules) });
      }
    },
    finish: () => states.finish(),
  };
}
