// tyrsim multi-process benchmark (issue #8 item 2, B4, B5): events/s of `tyrsim up` — services as real
// processes over a private NATS server, the log also in JetStream — on the frames scenario (a game
// client on every GPU) and the fleet scenario (power cycles) with 1, 4 and 16 GPUs — one process per actor kind (sharded), or whole-GPU
// processes (B5) — each as a ratio to the embedded runtime on the same scenario and seed (digests must
// be identical, or the figure is refused), and 16 GPUs over 4 service shards against one. Beside
// B5, the machine's parallel ceiling: two embedded runs at once, each its own process, against one.
//
//   npm run bench:mp            writes bench/results-mp.json and prints the table (frames and fleet)
//   npm run bench:mp -- --own16 also 16 GPUs with every actor its own process (16 shards: ~150 processes)
//   npm run bench:mp -- --frames N --cycles M   frames per GPU (default 30) and power cycles per GPU
//                               (default 200): long enough that neither side is mostly JIT warm-up
//   npm run bench:mp -- --only TEXT   only the measurements whose "workload, deployment" name holds
//                               TEXT (e.g. "fleet, 16 GPUs, 4 whole"): one figure while profiling
//
// Only the run is timed (from the first delivered event to the end), not process start-up.
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseScenario, type LoadedScenario } from "../shared/scenario/loadScenario.ts";
import { startNatsServer } from "../shared/process/natsServer.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { composeServices, gpuServices, shardServices } from "../runtime/multiprocess/composeServices.ts";
import { runCoordinated } from "../runtime/multiprocess/natsRun.ts";
import { stopServices } from "../runtime/multiprocess/natsUp.ts";
import { SupervisedService } from "../runtime/multiprocess/supervisor.ts";
import { formatTable, ratioOf, type BenchResult } from "./measure.ts";

/** One measured deployment: the fleet's GPUs and how many processes per service kind. */
interface Deployment {
  readonly gpus: number;
  readonly shards: number;
  readonly label: string;
  /** The coordinator's lookahead (default on); off: every round one level of the whole run. */
  readonly lookahead?: boolean;
  /** Whole-GPU processes instead of one process per actor kind (`tyrsim up --gpu-processes K`). */
  readonly gpuProcesses?: number;
}

/** The fleet scenario cut to `gpus` GPUs and `cycles` power cycles each (its probe and cycles, shorter). */
function fleetOf(gpus: number, cycles: number): { loaded: LoadedScenario; path: string } {
  const text = readFileSync("scenarios/fleet.yaml", "utf8")
    .replace(/^gpus: \d+$/m, `gpus: ${gpus}`)
    .replace(/count: \d+/g, `count: ${cycles}`)
    .replace(/^duration: \S+$/m, `duration: ${10 + Math.ceil((cycles * 200) / 1000) + 1}ms`);
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-bench-mp-"));
  const path = join(dir, `fleet-${gpus}.yaml`);
  writeFileSync(path, text);
  return { loaded: { file: `fleet-${gpus}.yaml`, text, scenario: parseScenario(text, path, createCatalogue()) }, path };
}

/**
 * The frames scenario spread over a fleet: every GPU probed, and on each a game client rendering
 * `frames` frames at 60 fps (the `frames` scenario's `game` client), so the load is the frames
 * workload's, GPU for GPU.
 */
function framesOf(gpus: number, frames: number): { loaded: LoadedScenario; path: string } {
  const clients = Array.from({ length: gpus }, (_, g) => `  - { name: game, gpu: ${g}, frames: ${frames}, fps: 60, priority: medium, vertices: 60000, width: 1280, height: 720, framesInFlight: 2 }`);
  const text = [
    `name: frames-fleet-${gpus}`,
    "description: a game client on every GPU of a fleet (bench:mp)",
    "model: mali-g610-rk3588",
    `gpus: ${gpus}`,
    `duration: ${20 + Math.ceil((frames * 1000) / 60) + 20}ms`,
    "steps:",
    "  - { at: 10us, type: DeviceBindRequested, path: \"drv{gpu}.bind\", payload: {} }",
    "workload:",
    ...clients,
    "",
  ].join("\n");
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-bench-mp-"));
  const path = join(dir, `frames-fleet-${gpus}.yaml`);
  writeFileSync(path, text);
  return { loaded: { file: `frames-fleet-${gpus}.yaml`, text, scenario: parseScenario(text, path, createCatalogue()) }, path };
}

/**
 * The embedded runtime on the same scenario and seed, its log written as `tyrsim run` writes it,
 * in a fresh process (`embeddedChild.ts`): as cold as the service processes, whatever ran before
 * in this one. Only the run is timed; the quicker of `tries` such processes is kept (one slow spell
 * of the shared machine halved a single one, which made the multi-process side look twice as good).
 */
function embeddedRun(path: string, seed: number, tries = 2): { events: number; ms: number; digest: string } {
  let best: { events: number; ms: number; digest: string } | undefined;
  for (let i = 0; i < tries; i++) {
    const log = join(mkdtempSync(join(tmpdir(), "tyrsim-bench-emb-")), "events.jsonl");
    const out = execFileSync(process.execPath, ["bin/run-ts.mjs", "bench/embeddedChild.ts", path, String(seed), log], { encoding: "utf8", maxBuffer: 1 << 20 });
    const run = JSON.parse(out.trim().split("\n").pop() as string) as { events: number; ms: number; digest: string };
    if (best !== undefined && run.digest !== best.digest) throw new Error(`embedded runs of ${path} gave two digests: ${best.digest} and ${run.digest}`);
    if (best === undefined || run.ms < best.ms) best = run;
  }
  return best as { events: number; ms: number; digest: string };
}

/**
 * The machine's parallel ceiling: `copies` embedded runs of the same scenario at once, each in its
 * own process (one per core), their events/s summed, against one such run alone. Two processes
 * that never talk to each other are the most a deployment in several processes can get from the
 * cores; on a 2-vCPU VM whose vCPUs share the host's caches and memory bandwidth this is short of
 * 2, and it bounds B5. Each process runs the scenario over and over for about `seconds` (`--times`)
 * and starts timing on a common signal (`--on-go`), so the runs overlap whatever their start-up.
 */
async function parallelCeiling(path: string, seed: number, single: { ms: number }, copies = 2, seconds = 4): Promise<number> {
  const times = String(Math.max(1, Math.ceil((seconds * 1000) / single.ms)));
  const together = async (n: number): Promise<number> => {
    const children = Array.from({ length: n }, () => {
      const log = join(mkdtempSync(join(tmpdir(), "tyrsim-bench-par-")), "events.jsonl");
      const child = spawn(process.execPath, ["bin/run-ts.mjs", "bench/embeddedChild.ts", path, String(seed), log, "--times", times, "--on-go"], { stdio: ["pipe", "pipe", "inherit"] });
      const lines = createInterface({ input: child.stdout });
      const ready = new Promise<void>((resolve) => lines.once("line", () => resolve()));
      const result = new Promise<{ events: number; ms: number }>((resolve, reject) => {
        let last = "";
        lines.on("line", (l) => (last = l));
        child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(last) as { events: number; ms: number }) : reject(new Error(`embeddedChild exited ${code}`))));
      });
      return { child, ready, result };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.end("go\n");
    const runs = await Promise.all(children.map((c) => c.result));
    return runs.reduce((sum, r) => sum + r.events / r.ms, 0);
  };
  const alone = await together(1);
  return (await together(copies)) / alone;
}

/** `tyrsim up` in this process for one deployment; the run's events, wall time of the run itself, digest and processes. */
async function runUp(natsUrl: string, loaded: LoadedScenario, path: string, seed: number, d: Deployment): Promise<{ events: number; ms: number; digest: string; processes: number; rounds: number; virtualMs: number }> {
  const services = d.gpuProcesses !== undefined ? gpuServices(d.gpuProcesses, loaded.scenario.gpus) : shardServices(composeServices(), d.shards, loaded.scenario.gpus);
  const lookahead = d.lookahead ?? true;
  const env = { TYRSIM_NATS_URL: natsUrl, TYRSIM_SCENARIO: path, TYRSIM_SEED: String(seed) };
  const quiet = () => {};
  const supervised = services.map((s, i) => new SupervisedService(s, i, env, quiet, { policy: "no" }));
  let t0 = 0;
  try {
    const summary = await runCoordinated({
      loaded, seed, natsUrl, services: services.map((s) => s.name), log: quiet, jetstream: true, lookahead,
      outDir: mkdtempSync(join(tmpdir(), "tyrsim-bench-mp-")),
      onDelivered: (e) => {
        if (e.seq === 0) t0 = performance.now();
      },
    });
    return { events: summary.events, ms: performance.now() - t0, digest: summary.digest, processes: services.length, rounds: summary.rounds, virtualMs: summary.virtualTimeNs / 1e6 };
  } finally {
    for (const s of supervised) s.stop();
    await stopServices(supervised.map((s) => s.process), 3000);
  }
}

/**
 * Measure every deployment: embedded first (same scenario and seed), then the multi-process run;
 * a digest mismatch is an error, not a figure.
 */
export async function multiprocessBench(
  opts: { readonly cycles?: number; readonly frames?: number; readonly own16?: boolean; readonly only?: string; readonly log?: (l: string) => void } = {},
): Promise<BenchResult[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const cycles = opts.cycles ?? 200;
  const frames = opts.frames ?? 30;
  const deployments: Deployment[] = [
    { gpus: 1, shards: 1, label: "1 GPU, every actor its own process" },
    { gpus: 4, shards: 4, label: "4 GPUs, every actor its own process" },
    ...(opts.own16 === true ? [{ gpus: 16, shards: 16, label: "16 GPUs, every actor its own process" }] : []),
    { gpus: 16, shards: 1, label: "16 GPUs, one process per service kind" },
    { gpus: 16, shards: 1, label: "16 GPUs, one process per service kind, level by level (--no-lookahead)", lookahead: false },
    { gpus: 16, shards: 4, label: "16 GPUs, 4 shards per service kind" },
    { gpus: 16, shards: 1, gpuProcesses: 4, label: "16 GPUs, 4 whole-GPU processes" },
  ];
  const nats = await startNatsServer();
  const results: BenchResult[] = [];
  const byDeployment = new Map<string, BenchResult>();
  try {
    const measured = [...deployments.map((d) => ["frames", d] as const), ...deployments.map((d) => ["fleet", d] as const)];
    for (const [workload, d] of measured.filter(([w, d]) => opts.only === undefined || `${w}, ${d.label}`.includes(opts.only))) {
      const seed = 1;
      const { loaded, path } = workload === "frames" ? framesOf(d.gpus, frames) : fleetOf(d.gpus, cycles);
      const emb = embeddedRun(path, seed);
      const embMs = emb.ms;
      const mp = await runUp(nats.url, loaded, path, seed, d);
      if (mp.digest !== emb.digest) throw new Error(`${d.label}: multi-process digest ${mp.digest} differs from the embedded run's ${emb.digest}`);
      const embedded: BenchResult = { name: `embedded runtime, ${workload}, ${d.gpus} GPU(s)`, value: emb.events / (embMs / 1000), unit: "events/s" };
      const multi: BenchResult = {
        name: `multi-process, ${workload}, ${d.label}`, value: mp.events / (mp.ms / 1000), unit: "events/s",
        note: `${mp.processes} service processes, ${mp.events} events, ${mp.rounds} coordination rounds, digest identical`,
      };
      results.push(embedded, multi, ratioOf(`multi-process / embedded, ${workload}, ${d.label}`, multi, embedded));
      if (workload === "frames" && d.gpus === 1) {
        // B4's second target: the frames run, every actor its own process, against real time.
        results.push({
          name: `multi-process, frames, ${d.label}: virtual / wall time`, value: mp.virtualMs / mp.ms, unit: "ratio",
          ratio: { numerator: "virtual ms", denominator: "wall ms", numeratorValue: mp.virtualMs, denominatorValue: mp.ms }, target: 10, gated: false,
        });
      }
      if (d.lookahead !== false) byDeployment.set(d.gpuProcesses !== undefined ? `${workload}/${d.gpus}/gpu${d.gpuProcesses}` : `${workload}/${d.gpus}/${d.shards}`, multi);
      if (d.gpuProcesses !== undefined) {
        byDeployment.set(`${workload}/${d.gpus}/embedded`, embedded);
        const ceiling = await parallelCeiling(path, seed, emb);
        results.push({ name: `machine: 2 embedded runs at once / one alone, ${workload}, ${d.gpus} GPUs (the most several processes can gain)`, value: ceiling, unit: "ratio", note: "two independent processes started together, events/s summed, against one alone; ~4 s of runs each" });
        log(`bench:mp: ${workload}: two embedded runs side by side do ${ceiling.toFixed(2)}× the events/s of one alone`);
      }
      log(`bench:mp: ${workload}, ${d.label}: ${multi.value.toFixed(0)} events/s (embedded ${embedded.value.toFixed(0)}), ${mp.processes} processes`);
    }
    for (const workload of ["frames", "fleet"]) {
      const one = byDeployment.get(`${workload}/16/1`);
      const four = byDeployment.get(`${workload}/16/4`);
      if (one !== undefined && four !== undefined) results.push(ratioOf(`${workload}, 16 GPUs: 4 shards / 1 shard`, four, one));
      // B5: the fleet across 4 processes against the same fleet in one process (the embedded runtime).
      const whole = byDeployment.get(`${workload}/16/gpu4`);
      const single = byDeployment.get(`${workload}/16/embedded`);
      if (whole !== undefined && single !== undefined) results.push(ratioOf(`${workload}, 16 GPUs: 4 whole-GPU processes / one process (B5)`, whole, single, { value: 1.6, gated: false }));
    }
  } finally {
    await nats.dispose();
  }
  return results;
}

// Run directly (npm run bench:mp), not when bench/main.ts imports multiprocessBench.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const option = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    if (i < 0) return undefined;
    const n = Number(process.argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a whole number of at least 1, got '${process.argv[i + 1] ?? ""}'`);
    return n;
  };
  const frames = option("--frames");
  const cycles = option("--cycles");
  const onlyAt = process.argv.indexOf("--only");
  const only = onlyAt < 0 ? undefined : process.argv[onlyAt + 1];
  if (onlyAt >= 0 && (only === undefined || only === "")) throw new Error("--only needs the text of a measurement's name, e.g. --only \"fleet, 16 GPUs, 4 whole\"");
  const results = await multiprocessBench({ own16: process.argv.includes("--own16"), ...(frames !== undefined ? { frames } : {}), ...(cycles !== undefined ? { cycles } : {}), ...(only !== undefined ? { only } : {}) });
  // A partial run (--only) prints its figures but leaves the full table's file as it is.
  if (only === undefined) writeFileSync("bench/results-mp.json", JSON.stringify({ node: process.version, results }, null, 2) + "\n");
  process.stdout.write(formatTable(results) + "\n");
}
