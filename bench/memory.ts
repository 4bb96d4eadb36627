import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What one side of the memory benchmark reported (see `memoryChild.ts`). */
export interface MemoryFigure {
  readonly mode: "run" | "replay" | "audit";
  readonly events: number;
  readonly ms: number;
  readonly peakRssBytes: number;
}

/** Run one side in a fresh Node process (its peak RSS is then its own) and read its report. */
function child(args: readonly string[]): MemoryFigure {
  const out = execFileSync(process.execPath, ["bin/run-ts.mjs", "bench/memoryChild.ts", ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop() as string) as MemoryFigure;
}

/**
 * B3's memory figure: the power-cycle scenario scaled to `events` events run on the embedded
 * runtime, then its log replayed and audited, each in its own process, with each one's peak RSS.
 * Memory flat in log length means these peaks do not grow with `events` (target: under 300 MB
 * at 10,000,000 events).
 */
export function measureMemory(events: number): MemoryFigure[] {
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-bench-memory-"));
  try {
    return [child(["run", String(events), dir]), child(["replay", dir]), child(["audit", dir])];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node bin/run-ts.mjs bench/memory.ts [events]`: the figures alone (default 10,000,000 events).
if (process.argv[1]?.endsWith("memory.ts") === true) {
  const events = Number(process.argv[2] ?? 10_000_000);
  for (const f of measureMemory(events)) {
    process.stdout.write(`${f.mode.padEnd(7)} ${f.events.toLocaleString("en-US").padStart(12)} events  ${(f.ms / 1000).toFixed(1).padStart(7)} s  peak RSS ${(f.peakRssBytes / 2 ** 20).toFixed(0)} MB\n`);
  }
}
