import { EventRegistry, type EventDef, type PayloadOf } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { powerConfigFromModel } from "./powerConfig.ts";
import { powerEvents } from "./powerEvents.ts";
import { GpuSoftResetCompleted } from "../regs/regsEvents.ts";
import { powerControllerActor, powerPaths, type PowerControllerConfig } from "./powerService.ts";

const US = 1_000;

/** Options of a test harness. */
export interface PowerHarnessOptions {
  readonly jitter?: number;
  /** Start with clocks and regulators on (default, as the world does) or off. */
  readonly suppliesOn?: boolean;
  /** GPU model (default the Mali-G610 on RK3588). */
  readonly model?: string;
  readonly seed?: number;
}

/**
 * Test support: one GPU's power controller in a simulation, configured from a real model but with
 * short, round domain latencies (L2 10/5 µs, tiler 4/2 µs, shader 20/8 µs) and, for the G610,
 * four cores at 0xf, so expected times read easily.
 */
export function powerHarness(opts: PowerHarnessOptions = {}) {
  const registry = new EventRegistry().register(...systemEvents, ...powerEvents, GpuSoftResetCompleted);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "t", seed: opts.seed ?? 7, registry, sink });
  const base = powerConfigFromModel(loadGpuModel(opts.model ?? "mali-g610-rk3588"), 0, opts.jitter ?? 0);
  const config: PowerControllerConfig = {
    ...base,
    domains: {
      l2: { domain: "l2", present: 0x1, upNs: 10 * US, downNs: 5 * US },
      tiler: { domain: "tiler", present: 0x1, upNs: 4 * US, downNs: 2 * US },
      shader: { domain: "shader", present: 0xf, upNs: 20 * US, downNs: 8 * US },
    },
    supplies: { ...base.supplies, enabledAtStart: opts.suppliesOn ?? true },
  };
  const actor = sim.addActor(powerControllerActor(config));
  const paths = powerPaths(0);
  /** Queue an input of type `def` at `atNs` on `path` (default `gpu0.pwr.cmd`). */
  const send = <D extends EventDef>(def: D, payload: PayloadOf<D>, atNs: number, path: string = paths.cmd) => sim.input("scenario", def, path, payload, atNs);
  /** What the power controller published: [time, type, payload]. */
  const facts = (...types: string[]) =>
    sink.events.filter((e) => e.source === "gpu0.pwr" && (types.length === 0 || types.includes(e.type))).map((e) => [e.timeNs, e.type, e.payload]);
  const snapshot = () => actor.behaviour.snapshot() as Record<string, unknown>;
  return { sim, sink, actor, config, paths, send, facts, snapshot };
}
