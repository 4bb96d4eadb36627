import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { findNatsServerBinary, isReachable, startNatsServer, type NatsServerHandle } from "../../shared/process/natsServer.ts";
import type { ComposeService } from "./composeServices.ts";
import { credentialsFor, passwordVariable } from "./natsPermissions.ts";

const COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/**
 * A NATS server to run against: the given URL, the one on 127.0.0.1:4222, or one started here.
 * With TYRSIM_NATS_PASS_COORDINATOR set (deploy/nats/dev.env), this process logs in as `coordinator`.
 */
export async function natsForUp(url: string | undefined, log: (l: string) => void): Promise<{ url: string; server?: NatsServerHandle }> {
  // On a server with permissions (deploy/nats/tyrsim.conf) this process is the coordinator: log in
  // as it when TYRSIM_NATS_PASS_COORDINATOR is given (its JetStream log connection reads the same env).
  const own = credentialsFor("coordinator");
  if (own.user !== undefined) Object.assign(process.env, { TYRSIM_NATS_USER: own.user, TYRSIM_NATS_PASS: own.pass ?? "" });
  if (url !== undefined) return { url };
  if (await isReachable("127.0.0.1", 4222)) return { url: "nats://127.0.0.1:4222" };
  if (findNatsServerBinary() === undefined) {
    throw new Error("no NATS server at 127.0.0.1:4222 and no nats-server binary to start one: pass --nats URL, or install it (Debian/Ubuntu: sudo apt-get install nats-server)");
  }
  const server = await startNatsServer();
  log(`up: started nats-server at ${server.url}`);
  return { url: server.url, server };
}

/** A running service process with its name, for shutdown. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/**
 * Start one compose service as a local process (`node bin/run-ts.mjs services/<kind>/main.ts`),
 * its output prefixed with its name (coloured on a terminal).
 */
export function startServiceProcess(svc: ComposeService, index: number, env: Record<string, string>, write: (l: string) => void): ServiceProcess {
  // Each service logs in as itself when its password is given (TYRSIM_NATS_PASS_<NAME>).
  const pass = process.env[passwordVariable(svc.name)];
  const login = pass !== undefined && pass !== "" ? { TYRSIM_NATS_USER: svc.name, TYRSIM_NATS_PASS: pass } : {};
  const child = spawn(process.execPath, [resolve("bin/run-ts.mjs"), svc.entry], {
    env: { ...process.env, ...env, ...login, TYRSIM_SERVICE_NAME: svc.name, TYRSIM_GPUS: svc.gpus },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const colour = COLOURS[index % COLOURS.length] as number;
  const prefix = process.stderr.isTTY === true ? `\x1b[${colour}m[${svc.name}]\x1b[0m ` : `[${svc.name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on("line", (l) => write(prefix + l));
  }
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { name: svc.name, child, exited };
}

/** Wait for service processes to exit on their own (after the run's end), then stop stragglers. */
export async function stopServices(procs: readonly ServiceProcess[], graceMs = 5000): Promise<void> {
  const timer = setTimeout(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  }, graceMs);
  await Promise.all(procs.map((p) => p.exited));
  clearTimeout(timer);
}
