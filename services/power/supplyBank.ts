import type { ActorContext } from "../../shared/actor/actor.ts";
import { hostMachine, type HostedMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import { createSupplyMachine, type SupplyFaultMode, type SupplyKind } from "./supplyMachine.ts";

/** The clocks and regulators of a GPU, by DT name, and how they start. */
export interface SuppliesConfig {
  /** DT `clock-names` (`core`, `stacks`, `coregroup`). */
  readonly clocks: readonly string[];
  /** DT supply names (`mali`, `sram`). */
  readonly regulators: readonly string[];
  /** Start with every supply on, as the bootloader leaves them (else all off). */
  readonly enabledAtStart: boolean;
  /** `regulator-enable-ramp-delay`, ns. */
  readonly regulatorEnableRampNs: number;
}

/** A request to one supply. */
export type SupplyRequest = { type: "ENABLE" } | { type: "DISABLE" } | { type: "ARM"; mode: SupplyFaultMode };

/** What the bank reports, per supply. */
export interface SupplyBankDeps {
  readonly changed: (kind: SupplyKind, name: string, enabled: boolean) => void;
  readonly failed: (kind: SupplyKind, name: string, errno: number) => void;
}

/** The supplies of one GPU as hosted machines. */
export interface SupplyBank {
  /** Is the supply on? False for a supply the model does not have. */
  isEnabled(kind: SupplyKind, name: string): boolean;
  /** Does the model have this supply? */
  has(kind: SupplyKind, name: string): boolean;
  /** Pass a request to a supply; false when the model does not have it. */
  request(kind: SupplyKind, name: string, req: SupplyRequest): boolean;
  /** Every supply's state (`disabled`, `enabling`, `enabled`, `failed`). */
  snapshot(): { clocks: Record<string, string>; regulators: Record<string, string> };
}

type SupplyActor = HostedMachine<ReturnType<typeof createSupplyMachine>>;

/** Start a machine per clock and regulator of the config inside the actor `ctx`. */
export function startSupplyBank(ctx: ActorContext, config: SuppliesConfig, deps: SupplyBankDeps): SupplyBank {
  const machines: Record<SupplyKind, Map<string, SupplyActor>> = { clock: new Map(), regulator: new Map() };
  const start = (kind: SupplyKind, name: string) => {
    const machine = createSupplyMachine(
      { kind, name, enableRampNs: kind === "regulator" ? config.regulatorEnableRampNs : 0, initiallyEnabled: config.enabledAtStart },
      { changed: (enabled) => deps.changed(kind, name, enabled), failed: (errno) => deps.failed(kind, name, errno) },
    );
    machines[kind].set(name, hostMachine(ctx, machine, { id: `${ctx.name}.${kind}.${name}` }));
  };
  for (const c of config.clocks) start("clock", c);
  for (const r of config.regulators) start("regulator", r);
  const states = (kind: SupplyKind) => Object.fromEntries([...machines[kind]].map(([n, m]) => [n, String(m.getSnapshot().value)]));
  return {
    isEnabled: (kind, name) => machines[kind].get(name)?.getSnapshot().value === "enabled",
    has: (kind, name) => machines[kind].has(name),
    request(kind, name, req) {
      const m = machines[kind].get(name);
      if (m === undefined) return false;
      sendChecked(m, req);
      return true;
    },
    snapshot: () => ({ clocks: states("clock"), regulators: states("regulator") }),
  };
}
