// One side of the B3 memory benchmark, in its own process so its peak RSS is its own:
//   memoryChild.ts run <events> <dir>      the power-cycle scenario scaled to <events>, logged to <dir>
//   memoryChild.ts replay <dir>            replay of <dir>/events.jsonl
//   memoryChild.ts audit <dir>             audit of <dir>/events.jsonl
// Prints one JSON line: { mode, events, ms, peakRssBytes } — the peak is the kernel's high-water
// mark (VmHWM) where /proc has it, else the largest of the samples taken every 65,536 events.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { auditLogFile } from "../runtime/audit/audit.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { scaledScenario } from "./scaledScenario.ts";

let sampled = process.memoryUsage().rss;
const sample = (): void => {
  sampled = Math.max(sampled, process.memoryUsage().rss);
};

/** The process's peak resident set: VmHWM from /proc when there is one, else the sampled peak. */
function peakRss(): number {
  sample();
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m !== null) return Math.max(sampled, Number(m[1]) * 1024);
  } catch {
    // not Linux: the samples are all there is
  }
  return sampled;
}

const [mode, arg, dirArg] = process.argv.slice(2);
const t0 = performance.now();
let events: number;
if (mode === "run") {
  const loaded = scaledScenario("scenarios/power-cycle.yaml", Number(arg), createCatalogue());
  events = (await runEmbedded({ loaded, outDir: dirArg as string, onProgress: sample })).events;
} else if (mode === "replay") {
  const r = await replayLog(join(arg as string, "events.jsonl"), { onProgress: sample });
  if (!r.match) throw new Error(`replay diverged at event ${r.divergence?.seq}`);
  events = r.events;
} else if (mode === "audit") {
  events = auditLogFile(join(arg as string, "events.jsonl")).run.events;
} else {
  throw new Error("usage: memoryChild.ts run <events> <dir> | replay <dir> | audit <dir>");
}
process.stdout.write(JSON.stringify({ mode, events, ms: performance.now() - t0, peakRssBytes: peakRss() }) + "\n");
