import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Where Debian's `nats-server` package installs the binary (it is not on a normal user's PATH). */
const DEBIAN_BINARY = "/usr/sbin/nats-server";
/** The log line nats-server prints once it accepts clients (JetStream is up before it). */
const READY_LINE = "Listening for client connections";
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_LINES = 20;
/** The conventional shared development server. */
const SHARED_HOST = "127.0.0.1";
const SHARED_PORT = 4222;

/** Options of a private test/dev server. */
export interface NatsServerOptions {
  /** TCP port on 127.0.0.1; a free one is picked when absent, and kept across `restart()`. */
  readonly port?: number;
  /** JetStream store directory; a temporary one (removed by `dispose()`) when absent. */
  readonly storeDir?: string;
  /** Path of the binary; `findNatsServerBinary()` when absent. */
  readonly binary?: string;
}

/** A running private nats-server with JetStream, owned by the caller. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>`, for `connect({ servers })`. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Kill the server (SIGTERM, then SIGKILL) and wait for it to exit; keeps the store; safe to call twice. */
  stop(): Promise<void>;
  /** Stop if running, then start again on the same port with the same store (to test reconnection). */
  restart(): Promise<void>;
  /** Stop, and remove the store directory when this helper created it. */
  dispose(): Promise<void>;
}

/** The nats-server binary could not be found or did not come up. */
export class NatsServerStartError extends Error {
  override readonly name = "NatsServerStartError";
  constructor(message: string, readonly logTail: readonly string[], options?: { cause?: unknown }) {
    super(logTail.length > 0 ? `${message}\n--- nats-server log ---\n${logTail.join("\n")}` : message, options);
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of `nats-server`: the first on PATH, else Debian's `/usr/sbin/nats-server`, else undefined. */
export function findNatsServerBinary(): string | undefined {
  const dirs = (process.env["PATH"] ?? "").split(delimiter).filter((d) => d.length > 0);
  const candidates = [...dirs.map((d) => join(d, "nats-server")), DEBIAN_BINARY];
  return candidates.find(isExecutable);
}

/** A TCP port free on 127.0.0.1 right now (bind to port 0, read it, release it). */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("could not read the picked port"))));
    });
  });
}

/** Spawn one server process and resolve when it listens; reject with its log when it dies or stalls. */
function launch(binary: string, port: number, storeDir: string): Promise<ChildProcess> {
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (why: string, cause?: unknown): void => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new NatsServerStartError(`nats-server on 127.0.0.1:${port} ${why}`, tail.slice(-LOG_TAIL_LINES), { cause }));
    };
    const timer = setTimeout(() => fail(`did not report '${READY_LINE}' within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.length > 0) tail.push(line);
      if (tail.length > 200) tail.splice(0, tail.length - LOG_TAIL_LINES);
      if (!ready && tail.some((l) => l.includes(READY_LINE))) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (e) => fail(`could not be spawned from ${binary}`, e));
    child.once("exit", (code, signal) => fail(`exited before it was ready (code ${code}, signal ${signal})`));
  });
}

/** Send SIGTERM, escalate to SIGKILL, and resolve once the process has exited. */
function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Start a private `nats-server -js` on 127.0.0.1 for tests and development, so they never depend
 * on (or disturb) a shared server. The process is also killed when this Node process exits.
 *
 * @example
 * const server = await startNatsServer();
 * const transport = await connectNatsTransport({ servers: server.url, name: "test" });
 * await server.restart(); // same port: clients reconnect
 * await server.dispose();
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = opts.binary ?? findNatsServerBinary();
  if (binary === undefined) {
    throw new NatsServerStartError(
      "nats-server not found on PATH or at /usr/sbin/nats-server; install it with `sudo apt-get install nats-server`",
      [],
    );
  }
  const port = opts.port ?? (await pickFreePort());
  const ownStore = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "tyrsim-nats-"));
  let child: ChildProcess | undefined;
  const onExit = (): void => {
    child?.kill("SIGKILL");
    if (ownStore) rmSync(storeDir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c !== undefined) await kill(c);
  };
  const start = async (): Promise<void> => {
    child = await launch(binary, port, storeDir);
  };
  try {
    await start();
  } catch (e) {
    onExit();
    process.off("exit", onExit);
    throw e;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    dispose: async () => {
      await stop();
      process.off("exit", onExit);
      if (ownStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** True when something accepts TCP connections at `host:port` within `timeoutMs`. */
export function isReachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/** The NATS server a test file talks to, and how to let go of it. */
export interface TestNatsServer {
  readonly url: string;
  /** `env` (TYRSIM_NATS_URL), `shared` (127.0.0.1:4222) or `private` (started for this file). */
  readonly origin: "env" | "shared" | "private";
  /** Stops a private server; leaves a shared one alone. */
  dispose(): Promise<void>;
}

/**
 * Pick the server NATS tests use: TYRSIM_NATS_URL if set, else 127.0.0.1:4222 if it answers, else
 * a private server started here. Tests must namespace their subjects and runs: a shared server
 * also carries other test files' traffic.
 */
export async function useTestNatsServer(): Promise<TestNatsServer> {
  const fromEnv = process.env["TYRSIM_NATS_URL"];
  if (fromEnv !== undefined && fromEnv.length > 0) return { url: fromEnv, origin: "env", dispose: () => Promise.resolve() };
  if (await isReachable(SHARED_HOST, SHARED_PORT)) {
    return { url: `nats://${SHARED_HOST}:${SHARED_PORT}`, origin: "shared", dispose: () => Promise.resolve() };
  }
  const server = await startNatsServer();
  return { url: server.url, origin: "private", dispose: () => server.dispose() };
}
