import { join } from "node:path";
import { runEmbedded } from "../../runtime/embeddedRun.ts";
import { framesReportOfLog } from "../../runtime/frames/framesLog.ts";
import type { FramesReport } from "../../runtime/frames/framesReport.ts";
import { COMPARE_VARIANTS, loadVariant } from "../../runtime/frames/compareVariants.ts";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";

/** Options of `tyrsim compare`. */
export interface CompareCommandOptions {
  readonly seed?: number;
  readonly json?: boolean;
  /** Folder of the variants' run folders (default runs/compare-<scenario>-<seed>). */
  readonly out?: string;
}

/** One compared run. */
export interface CompareRow {
  readonly variant: string;
  readonly run: string;
  readonly digest: string;
  readonly log: string;
  readonly events: number;
  /** The frames report, or undefined when the scenario has no frame workload. */
  readonly frames?: FramesReport;
}

/**
 * `tyrsim compare <scenario>`: the scenario and seed run once per variant (JobQueue vs drm_sched,
 * power policy on vs off), each on the embedded runtime into its own run folder; returns the rows.
 */
export async function compareRuns(file: string, opts: CompareCommandOptions = {}): Promise<CompareRow[]> {
  const registry = createCatalogue();
  const base = loadScenarioFile(file, registry);
  const seed = opts.seed ?? base.scenario.seed;
  const outDir = opts.out ?? join("runs", `compare-${base.scenario.name}-${seed}`);
  const rows: CompareRow[] = [];
  for (const v of COMPARE_VARIANTS) {
    const loaded = loadVariant(base, v, registry);
    const s = await runEmbedded({ loaded, seed, outDir: join(outDir, v.suffix) });
    const frames = framesReportOfLog(s.log);
    rows.push({ variant: v.label, run: s.run, digest: s.digest, log: s.log, events: s.events, ...(frames !== undefined ? { frames } : {}) });
  }
  return rows;
}

const ms = (ns: number): string => (ns / 1e6).toFixed(2);

/** The comparison as a markdown table. */
export function formatComparison(rows: readonly CompareRow[]): string {
  const lines = [
    "| variant | frames completed | latency p50 (ms) | latency p99 (ms) | jobs/s | events | energy (mJ) | frames/J | DVFS transitions |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const f = r.frames;
    lines.push(
      f === undefined
        ? `| ${r.variant} | — | — | — | — | ${r.events} | — | — | — |`
        : `| ${r.variant} | ${f.framesCompleted} | ${ms(f.latencyNs.p50)} | ${ms(f.latencyNs.p99)} | ${f.jobsPerSecond.toFixed(1)} | ${r.events} | ${(f.energyJoules * 1000).toFixed(3)} | ${f.framesPerJoule.toFixed(1)} | ${f.dvfsTransitions} |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** `tyrsim compare`: print the table (or the rows as JSON); exit 0. */
export async function compareCommand(file: string, opts: CompareCommandOptions): Promise<number> {
  const rows = await compareRuns(file, opts);
  process.stdout.write(opts.json === true ? JSON.stringify(rows, null, 2) + "\n" : formatComparison(rows));
  return 0;
}
