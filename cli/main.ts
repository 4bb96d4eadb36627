import { Command, InvalidArgumentError } from "commander";
import { ScenarioError } from "../shared/scenario/loadScenario.ts";
import { LogFormatError } from "../shared/log/jsonlLog.ts";
import { TOOL_VERSION } from "../runtime/toolVersion.ts";
import { runCommand } from "./commands/runCommand.ts";
import { replayCommand } from "./commands/replayCommand.ts";
import { tailCommand } from "./commands/tailCommand.ts";
import { coordinateCommand, upCommand } from "./commands/upCommand.ts";
import { catalogueCommand } from "./commands/catalogueCommand.ts";
import { exportCommand } from "./commands/exportCommand.ts";
import { materialiseLog } from "./logLocation.ts";
import { traceCommand } from "./commands/traceCommand.ts";
import { registerFaultCommands } from "./commands/faultCommands.ts";
import { compareCommand } from "./commands/compareCommand.ts";
import { natsConfigCommand } from "./commands/natsConfigCommand.ts";
import { statusCommand } from "./commands/statusCommand.ts";

function integer(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Run a command body and turn known user errors into a one-line message and exit code 2. */
async function guarded(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof LogFormatError) {
      process.stderr.write(`tyrsim: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

// `tyrsim tail … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

const program = new Command()
  .name("tyrsim")
  .description("Event-sourced simulator of an Arm Mali CSF GPU and the Tyr/Panthor driver stack")
  .version(TOOL_VERSION)
  .showHelpAfterError();

program
  .command("run")
  .description("run a scenario on the embedded runtime; writes DIR/events.jsonl, summary.json, trace.json and audit.txt/.json/.html")
  .argument("<scenario>", "scenario YAML file, e.g. scenarios/boot.yaml")
  .option("--seed <n>", "seed of the run's PRNG (default: the scenario's)", integer("--seed"))
  .option("--out <dir>", "run folder (default runs/<scenario>-<seed>)")
  .option("--json", "print the summary as JSON")
  .option("--nats <url>", "also publish every event on this NATS server (watch with tail --nats)")
  .option("--clients", "with --nats: serve remote user-space clients (the client API over NATS), holding virtual time while they are attached")
  .option("--no-trace", "do not write DIR/trace.json (the Perfetto trace)")
  .action((file: string, opts: { seed?: number; out?: string; json?: boolean; nats?: string; trace?: boolean; clients?: boolean }) => guarded(() => runCommand(file, opts)));

program
  .command("replay")
  .description("re-run a log from its own inputs; exit 0 if identical, 1 with the first divergence")
  .argument("<log>", "a JSON-lines log (runs/<run>/events.jsonl) or a JetStream run (nats://host:4222/<run>)")
  .option("--until <seq>", "stop after event SEQ and print every actor's state", integer("--until"))
  .option("--json", "print the result as JSON")
  .action((log: string, opts: { until?: number; json?: boolean }) => guarded(async () => replayCommand(await materialiseLog(log), opts)));

program
  .command("tail")
  .description("print a log's events, or follow a live run on NATS, filtered by subject, type, source")
  .argument("[log]", "a JSON-lines log (omit with --nats)")
  .argument("[subject]", "subject filter with NATS wildcards, full or relative to the run (gpu0.pwr.>)")
  .option("--nats <url>", "follow a live run on this NATS server instead of reading a file")
  .option("--run <id>", "with --nats: the run to follow (default: every run)")
  .option("--type <type>", "only events of this type (repeatable)", collect)
  .option("--source <actor>", "only events from this actor (or its children)")
  .option("--limit <n>", "stop after N events", integer("--limit"))
  .option("--json", "print events as JSON lines")
  .action((log: string | undefined, subject: string | undefined, opts: { nats?: string; run?: string; type?: string[]; source?: string; limit?: number; json?: boolean }) => {
    // With --nats the first positional is the subject.
    const [file, subj] = opts.nats !== undefined ? [undefined, log] : [log, subject];
    return guarded(async () => tailCommand(file === undefined ? undefined : await materialiseLog(file), subj, opts));
  });

program
  .command("trace")
  .description("write a Perfetto trace (Chrome JSON) of a log; open it at https://ui.perfetto.dev")
  .argument("<log>", "a JSON-lines log (runs/<run>/events.jsonl) or a JetStream run (nats://host:4222/<run>)")
  .option("-o, --out <file>", "trace file (default: trace.json beside the log)")
  .option("--compact", "leave out register accesses and generic instants (slices, counters, faults, inputs stay)")
  .option("--json", "print the result as JSON")
  .action((log: string, opts: { out?: string; compact?: boolean; json?: boolean }) =>
    guarded(async () => traceCommand(await materialiseLog(log), { ...opts, ...(opts.out === undefined && log.startsWith("nats://") ? { out: "trace.json" } : {}) })),
  );

program
  .command("up")
  .description("multi-process run: every actor service of docker-compose.yml as a local process, coordinated over NATS")
  .argument("<scenario>", "scenario YAML file")
  .option("--seed <n>", "seed of the run's PRNG (default: the scenario's)", integer("--seed"))
  .option("--out <dir>", "run folder (default runs/<scenario>-<seed>), same format as `run`")
  .option("--nats <url>", "NATS server (default: 127.0.0.1:4222 if it answers, else one started for the run)")
  .option("--shards <k>", "spread a fleet's GPUs over K processes per service (GPU g → shard g mod K)", integer("--shards"))
  .option("--gpu-processes <k>", "instead of a process per actor kind: K processes hosting whole GPUs (GPU g → process g mod K), each GPU run ahead on its own between barriers", integer("--gpu-processes"))
  .option("--no-jetstream", "do not also write the log to JetStream")
  .option("--restart <policy>", "restart a service process that dies: on-failure (it rebuilds from the log) or no", "on-failure")
  .option("--grace <s>", "give the run up (exit 1) when a service stays silent or dead this many seconds", integer("--grace"))
  .option("--clients", "serve remote user-space clients on tyrsim.<run>.ctl.client; virtual time holds until one attaches and while any is attached")
  .option("--no-lookahead", "step the whole run one level at a time instead of each GPU of a fleet at its own next level")
  .option("--json", "print the summary as JSON")
  .action((file: string, opts: { seed?: number; out?: string; nats?: string; json?: boolean; shards?: number; jetstream?: boolean; restart?: string; grace?: number; clients?: boolean; lookahead?: boolean; gpuProcesses?: number }) => guarded(() => upCommand(file, opts)));

program
  .command("coordinate")
  .description("only the coordinator of a multi-process run; the services are started elsewhere (docker compose)")
  .argument("<scenario>", "scenario YAML file")
  .option("--seed <n>", "seed of the run's PRNG (default: the scenario's)", integer("--seed"))
  .option("--out <dir>", "run folder (default runs/<scenario>-<seed>)")
  .option("--nats <url>", "NATS server", "nats://127.0.0.1:4222")
  .option("--services <names>", "comma-separated service names to wait for (default: docker-compose.yml's)")
  .option("--no-jetstream", "do not also write the log to JetStream")
  .option("--grace <s>", "give the run up (exit 1) when a service stays silent or dead this many seconds", integer("--grace"))
  .option("--clients", "serve remote user-space clients on tyrsim.<run>.ctl.client; virtual time holds until one attaches and while any is attached")
  .option("--no-lookahead", "step the whole run one level at a time instead of each GPU of a fleet at its own next level")
  .option("--json", "print the summary as JSON")
  .action((file: string, opts: { seed?: number; out?: string; nats?: string; services?: string; json?: boolean; jetstream?: boolean; grace?: number; clients?: boolean; lookahead?: boolean }) => guarded(() => coordinateCommand(file, opts)));

program
  .command("catalogue")
  .description("print the wire protocol (envelope, every event type, coordinator messages) as JSON Schema")
  .option("-o, --out <file>", "write to a file instead of stdout")
  .action((opts: { out?: string }) => guarded(() => catalogueCommand(opts)));

registerFaultCommands(program, guarded, { integer: integer("--count"), collect });

program
  .command("compare")
  .description("run a scenario with the JobQueue vs drm_sched and the power policy on vs off; print frames, latency, jobs/s, energy, DVFS side by side")
  .argument("<scenario>", "scenario YAML file, e.g. scenarios/frames.yaml")
  .option("--seed <n>", "seed of every run (default: the scenario's)", integer("--seed"))
  .option("--out <dir>", "folder of the variants' run folders (default runs/compare-<scenario>-<seed>)")
  .option("--json", "print the rows as JSON")
  .action((file: string, opts: { seed?: number; out?: string; json?: boolean }) => guarded(() => compareCommand(file, opts)));

program
  .command("status")
  .description("show a live multi-process run: services (ready/draining/silent, since when), virtual time, events/s, who the coordinator waits for")
  .option("--nats <url>", "NATS server of the run", "nats://127.0.0.1:4222")
  .option("--run <id>", "the run (default: the first run that reports)")
  .option("--watch", "keep printing every report until the run finishes (Ctrl-C to stop)")
  .option("--timeout <ms>", "give up when no report comes within this many ms", integer("--timeout"), 5000)
  .option("--json", "print the report as JSON")
  .action((opts: { nats: string; run?: string; watch?: boolean; timeout: number; json?: boolean }) => guarded(() => statusCommand(opts)));

program
  .command("nats-config")
  .description("print the nats-server configuration: one user per service, coordinator, injector, auditor, each with its subject permissions")
  .option("-o, --out <file>", "write to a file instead of stdout (deploy/nats/tyrsim.conf)")
  .option("--shards <k>", "users for the services of `tyrsim up --shards K`", integer("--shards"))
  .option("--gpus <n>", "with --shards: GPUs of the fleet", integer("--gpus"))
  .option("--dev-env", "print the users' development passwords as an env file (deploy/nats/dev.env) instead")
  .action((opts: { out?: string; shards?: number; gpus?: number; devEnv?: boolean }) => guarded(() => natsConfigCommand(opts)));

program
  .command("export")
  .description("copy a run's log from JetStream to a JSON-lines file (or, with --import, a file into JetStream)")
  .argument("[run]", "run id, e.g. probe-1")
  .requiredOption("--nats <url>", "NATS server holding the TYRSIM_LOG stream")
  .option("-o, --out <file>", "output file (default runs/<run>/events.jsonl)")
  .option("--import <file>", "copy this JSON-lines log into JetStream instead")
  .action((run: string | undefined, opts: { nats: string; out?: string; import?: string }) => guarded(() => exportCommand(run, opts)));

await program.parseAsync(process.argv);
