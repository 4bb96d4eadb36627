import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { EventRegistry } from "../shared/events/registry.ts";
import { parseScenario, type LoadedScenario } from "../shared/scenario/loadScenario.ts";

/** Events the power-cycle scenario logs per 100 µs cycle (two requests, two starts, two changes). */
export const POWER_CYCLE_EVENTS_PER_CYCLE = 6;

/**
 * The power-cycle scenario scaled to about `events` events: its step counts and duration rewritten
 * so the run is `events / 6` cycles of 100 µs. The benchmarks' common load (B1, B3).
 */
export function scaledScenario(file: string, events: number, registry: EventRegistry): LoadedScenario {
  const cycles = Math.ceil(events / POWER_CYCLE_EVENTS_PER_CYCLE);
  const text = readFileSync(file, "utf8")
    .replace(/count: \d+/g, `count: ${cycles}`)
    .replace(/duration: \S+/, `duration: ${cycles * 100}us`);
  return { file: basename(file), text, scenario: parseScenario(text, basename(file), registry) };
}
