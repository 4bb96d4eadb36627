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

/** Virtual time B2 of issue #9 asks for: the frames scenario's two 60 fps clients for 60 s. */
export const B2_VIRTUAL_SECONDS = 60;

/**
 * The frames scenario stretched to `seconds` of frames: every workload client renders `fps ×
 * seconds` frames, and the run lasts as long plus the scenario's own tail after its last frame (the
 * files closing, devfreq stepping down, runtime PM suspending), so the run ends as the original does.
 * B2's load: issue #9 defines it as two clients at 60 fps for 60 s of virtual time, which is too
 * long for a scenario CI runs several times (`scenarios/frames.yaml` holds 5 s of it).
 */
export function scaledFrames(file: string, seconds: number, registry: EventRegistry): LoadedScenario {
  const original = readFileSync(file, "utf8");
  const base = parseScenario(original, basename(file), registry);
  const lastFrameNs = (frames: (c: (typeof base.workload)[number]) => number) => Math.max(...base.workload.map((c) => (frames(c) / c.fps) * 1e9 + c.startAt));
  const tailNs = Math.max(base.duration - lastFrameNs((c) => c.frames), 0);
  const text = original
    .replace(/frames: \d+, fps: (\d+)/g, (_, fps: string) => `frames: ${Number(fps) * seconds}, fps: ${fps}`)
    .replace(/^duration: \S+$/m, `duration: ${Math.ceil((lastFrameNs((c) => c.fps * seconds) + tailNs) / 1e6)}ms`);
  const name = basename(file).replace(/\.yaml$/, `-${seconds}s.yaml`);
  return { file: name, text, scenario: parseScenario(text, name, registry) };
}
