import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import type { SupplyBank } from "./supplyBank.ts";
import type { SupplyKind } from "./supplyMachine.ts";
import {
  ClockDisableRequested,
  ClockEnableFailed,
  ClockEnableRequested,
  ClockStateChanged,
  PowerSupplyFaultArmed,
  PowerSupplyRequestRejected,
  RegulatorDisableRequested,
  RegulatorEnableFailed,
  RegulatorEnableRequested,
  RegulatorStateChanged,
} from "./supplyEvents.ts";

/** The subject paths the supply wiring publishes on. */
interface SupplyPaths {
  readonly state: string;
  readonly error: string;
}

/**
 * Route a clock/regulator request or an armed fault to its supply machine; a name the model lacks
 * is answered with `PowerSupplyRequestRejected`. `injected` marks the injector's `fault.inject`
 * path, where only `PowerSupplyFaultArmed` for this GPU (`gpu`, default 0) is taken. Returns true
 * when the event was a supply event.
 */
export function handleSupplyEvent(e: Envelope, bank: SupplyBank, ctx: ActorContext, paths: SupplyPaths, gpu: number, injected: boolean): boolean {
  const route = (kind: SupplyKind, name: string, req: Parameters<SupplyBank["request"]>[2]) => {
    if (!bank.request(kind, name, req)) ctx.publish(PowerSupplyRequestRejected, paths.error, { target: kind, name, reason: "absent" });
    return true;
  };
  if (EventRegistry.is(PowerSupplyFaultArmed, e)) {
    if (injected && (e.payload.gpu ?? 0) !== gpu) return false;
    return route(e.payload.target, e.payload.name, { type: "ARM", mode: e.payload.mode });
  }
  if (injected) return false;
  if (EventRegistry.is(ClockEnableRequested, e)) return route("clock", e.payload.clock, { type: "ENABLE" });
  if (EventRegistry.is(ClockDisableRequested, e)) return route("clock", e.payload.clock, { type: "DISABLE" });
  if (EventRegistry.is(RegulatorEnableRequested, e)) return route("regulator", e.payload.regulator, { type: "ENABLE" });
  if (EventRegistry.is(RegulatorDisableRequested, e)) return route("regulator", e.payload.regulator, { type: "DISABLE" });
  return false;
}

/** Publish a supply's state: `ClockStateChanged`, or `RegulatorStateChanged` with the rail's setpoint. */
export function publishSupplyChange(ctx: ActorContext, paths: SupplyPaths, kind: SupplyKind, name: string, enabled: boolean, microvolt: number): void {
  if (kind === "clock") ctx.publish(ClockStateChanged, paths.state, { clock: name, enabled });
  else ctx.publish(RegulatorStateChanged, paths.state, { regulator: name, enabled, microvolt });
}

/** Publish a failed enable: `ClockEnableFailed` or `RegulatorEnableFailed` with the negative errno. */
export function publishSupplyFailure(ctx: ActorContext, paths: SupplyPaths, kind: SupplyKind, name: string, errno: number): void {
  ctx.publish(kind === "clock" ? ClockEnableFailed : RegulatorEnableFailed, paths.error, { name, errno });
}
