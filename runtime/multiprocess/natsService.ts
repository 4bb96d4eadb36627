import { connectNatsTransport } from "../../shared/bus/natsTransport.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { buildServiceHost } from "./inProcessServices.ts";
import { SERVICE_KINDS, type ServiceKind } from "./partition.ts";
import { ctlSubjects, LevelRequestSchema, WelcomeSchema, type Hello } from "./protocol.ts";
import { levelHandler } from "./serviceHostLink.ts";

/** How a service process is told what to be: environment variables, as compose and `tyrsim up` set them. */
export interface ServiceProcessConfig {
  readonly natsUrl: string;
  readonly scenarioPath: string;
  readonly seed: number;
  readonly kind: ServiceKind;
  /** GPUs this service serves: a set, or `all` of the scenario's. */
  readonly gpus: ReadonlySet<number> | "all";
  /** Service name on the control subjects; default `<kind>-<gpus>`. */
  readonly name: string;
}

const decoder = new TextDecoder();

/** Read a service's configuration from TYRSIM_* environment variables; errors name the variable. */
export function serviceConfigFromEnv(kind: ServiceKind, env: NodeJS.ProcessEnv = process.env): ServiceProcessConfig {
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined || v === "") throw new Error(`${k} is not set (the ${kind} service needs it)`);
    return v;
  };
  if (!SERVICE_KINDS.includes(kind)) throw new Error(`unknown service kind '${kind}'`);
  const gpuList = env["TYRSIM_GPUS"] ?? "all";
  const gpus = gpuList === "all" ? "all" : new Set(gpuList.split(",").map((g) => Number(g.trim())));
  if (gpus !== "all" && [...gpus].some((g) => !Number.isInteger(g) || g < 0)) throw new Error(`TYRSIM_GPUS must be 'all' or list GPU numbers, got '${gpuList}'`);
  return {
    natsUrl: env["TYRSIM_NATS_URL"] ?? "nats://127.0.0.1:4222",
    scenarioPath: need("TYRSIM_SCENARIO"),
    seed: Number(need("TYRSIM_SEED")),
    kind,
    gpus,
    name: env["TYRSIM_SERVICE_NAME"] ?? (gpus === "all" ? kind : `${kind}-${[...gpus].join("-")}`),
  };
}

/**
 * A service process: its actors (the very code of the embedded runtime) in an actor host, level
 * requests answered over NATS, Hello repeated until the coordinator welcomes it, health on the
 * control subject, and a clean exit at the run's end or on SIGTERM.
 */
export async function runServiceProcess(cfg: ServiceProcessConfig, log: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<void> {
  const loaded = loadScenarioFile(cfg.scenarioPath, createCatalogue());
  const run = `${loaded.scenario.name}-${cfg.seed}`;
  const gpus = cfg.gpus === "all" ? new Set(Array.from({ length: loaded.scenario.gpus }, (_, i) => i)) : cfg.gpus;
  const { host, owned, shadows } = buildServiceHost(run, cfg.seed, loaded.scenario, cfg.kind, gpus);
  const subjects = ctlSubjects(run);
  const transport = await connectNatsTransport({ servers: cfg.natsUrl, name: `tyrsim-${cfg.name}` });
  const handle = levelHandler(host);
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  transport.subscribe(subjects.service(cfg.name)).subscribe((m) => {
    try {
      const req = LevelRequestSchema.parse(JSON.parse(typeof m.data === "string" ? m.data : decoder.decode(m.data as Uint8Array)));
      m.respond(JSON.stringify(handle(req)));
    } catch (e) {
      log(`${cfg.name}: bad level request: ${(e as Error).message}`);
    }
  });
  transport.subscribe(subjects.end).subscribe(() => finished());
  process.once("SIGTERM", () => {
    transport.publish(subjects.health, JSON.stringify({ service: cfg.name, state: "draining" }));
    finished();
  });
  const hello: Hello = { service: cfg.name, actors: owned, shadows, patterns: [...host.subscribedPatterns()], nextTimer: host.nextTimerKey() ?? null };
  for (;;) {
    try {
      const reply = await transport.request(subjects.hello, JSON.stringify(hello), { timeoutMs: 1000 });
      const welcome = WelcomeSchema.parse(JSON.parse(typeof reply.data === "string" ? reply.data : decoder.decode(reply.data as Uint8Array)));
      if (!welcome.ok) throw new Error(`coordinator refused ${cfg.name}: ${welcome.reason ?? "no reason given"}`);
      break;
    } catch (e) {
      if ((e as Error).message.startsWith("coordinator refused")) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  transport.publish(subjects.health, JSON.stringify({ service: cfg.name, state: "ready" }));
  log(`${cfg.name}: ready with ${owned.join(", ")}${shadows.length > 0 ? ` (shadowing ${shadows.join(", ")})` : ""}`);
  await done;
  host.close();
  await transport.close();
}
