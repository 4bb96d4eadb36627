import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { connectNatsTransport, type NatsTransport } from "../shared/bus/natsTransport.ts";
import { findNatsServerBinary, pickFreePort } from "../shared/process/natsServer.ts";
import { composeServices } from "../runtime/multiprocess/composeServices.ts";
import { natsDevEnv, natsServerConfig, natsUsers, passwordVariable } from "../runtime/multiprocess/natsPermissions.ts";
import { logPermissionViolations } from "../runtime/multiprocess/permissionLog.ts";
import { replayLog } from "../runtime/replay.ts";

const CONF = "deploy/nats/tyrsim.conf";
const DEV_ENV = "deploy/nats/dev.env";

/** The development passwords of deploy/nats/dev.env as environment variables. */
function devPasswords(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(DEV_ENV, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m !== null) env[m[1] as string] = m[2] as string;
  }
  return env;
}

/** A private nats-server started with deploy/nats/tyrsim.conf, its log kept for the assertions. */
let server: { url: string; child: ChildProcess; log: () => string; store: string };
beforeAll(async () => {
  const binary = findNatsServerBinary();
  if (binary === undefined) throw new Error("nats-server is needed (sudo apt-get install nats-server)");
  const port = await pickFreePort();
  const store = mkdtempSync(join(tmpdir(), "tyrsim-perm-js-"));
  const child = spawn(binary, ["-c", CONF, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], { env: { ...process.env, ...devPasswords() } });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes("Listening for client connections")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`nats-server -c ${CONF} exited (${code}):\n${log}`)));
  });
  server = { url: `nats://127.0.0.1:${port}`, child, log: () => log, store };
});
afterAll(() => {
  server.child.kill("SIGTERM");
  rmSync(server.store, { recursive: true, force: true });
});

/** Log in to the test server as `user` with its development password. */
const login = (user: string): Promise<NatsTransport> =>
  connectNatsTransport({ servers: server.url, name: `tyrsim-test-${user}`, waitOnFirstConnect: false, user, pass: devPasswords()[passwordVariable(user)] ?? "" });

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

describe("the NATS deployment's users and subject permissions", () => {
  it("are what `tyrsim nats-config` generates for docker-compose.yml's services, passwords included", () => {
    const services = composeServices().map((s) => s.name);
    expect(readFileSync(CONF, "utf8"), "regenerate with: npx tyrsim nats-config -o deploy/nats/tyrsim.conf").toBe(natsServerConfig(services));
    expect(readFileSync(DEV_ENV, "utf8"), "regenerate with: npx tyrsim nats-config --dev-env -o deploy/nats/dev.env").toBe(natsDevEnv(services));
  });

  it("are mounted by docker-compose.yml, which gives the server every password and each process its own login", () => {
    type Svc = { command?: string[]; environment?: Record<string, unknown>; volumes?: string[] };
    const doc = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as { services: Record<string, Svc> };
    const nats = doc.services["nats"] as Svc;
    expect(nats.command?.slice(0, 2)).toEqual(["-c", "/etc/tyrsim/nats.conf"]);
    expect(nats.volumes).toContain(`./${CONF}:/etc/tyrsim/nats.conf:ro`);
    for (const u of natsUsers(composeServices().map((s) => s.name))) expect(Object.keys(nats.environment ?? {}), u.user).toContain(passwordVariable(u.user));
    for (const s of composeServices()) {
      const env = doc.services[s.name]?.environment ?? {};
      expect(env["TYRSIM_NATS_USER"], s.name).toBe(s.name);
      expect(String(env["TYRSIM_NATS_PASS"])).toContain(passwordVariable(s.name));
    }
    expect(doc.services["coordinator"]?.environment?.["TYRSIM_NATS_USER"]).toBe("coordinator");
  });

  it("refuse a service's publish of a fault, of another service's control subject and of an event; the service and the server both log it", async () => {
    // given the memory service's login, and the injector watching every subject of the run
    const run = "perm-1";
    const memory = await login("memory");
    const refusals = logPermissionViolations(memory, "memory", () => {});
    const watcher = await login("injector");
    const seen: string[] = [];
    watcher.subscribe(`tyrsim.${run}.>`).subscribe((m) => seen.push(m.subject));
    await watcher.flush();
    // when the memory service publishes a fault, a level request to regs, and an event of the power controller
    const forbidden = [`tyrsim.${run}.fault.inject`, `tyrsim.${run}.ctl.svc.regs`, `tyrsim.${run}.gpu0.pwr.state`];
    for (const subject of forbidden) memory.publish(subject, JSON.stringify({ type: "FaultInjected", payload: { fault: { kind: "job-hang" } } }));
    // and its own health, which it may publish
    memory.publish(`tyrsim.${run}.ctl.health`, JSON.stringify({ service: "memory", state: "ready" }));
    await memory.flush();
    await settle();
    // then nobody received the forbidden ones, the health went through
    expect(seen).toEqual([`tyrsim.${run}.ctl.health`]);
    // and the refusals came back on the connection, logged by the client, and are in the server's log
    for (const subject of forbidden) {
      expect(refusals).toContain(`memory: NATS refused: Permissions Violation for Publish to "${subject}"`);
      expect(server.log()).toContain(`Publish Violation - User "memory", Subject "${subject}"`);
    }
    await memory.close();
    await watcher.close();
  });

  it("refuse the auditor any publish outside the log's read API, and a subscription to a service's control subject", async () => {
    const auditor = await login("auditor");
    const refusals = logPermissionViolations(auditor, "auditor", () => {});
    for (const subject of ["tyrsim.perm-2.fault.inject", "tyrsimlog.perm-2", "$JS.API.STREAM.PURGE.TYRSIM_LOG", "$JS.API.STREAM.DELETE.TYRSIM_LOG"]) auditor.publish(subject, "{}");
    await auditor.flush();
    await settle();
    expect(refusals).toHaveLength(4);
    expect(server.log()).toContain(`Publish Violation - User "auditor", Subject "$JS.API.STREAM.PURGE.TYRSIM_LOG"`);
    await auditor.close();
  });

  it("let the client user reach a run's client subject, and nothing else: no fault, no control subject, no event", async () => {
    // given the coordinator listening for clients, as `tyrsim up --clients` does
    const coordinator = await login("coordinator");
    const heard: string[] = [];
    coordinator.subscribe("tyrsim.perm-3.ctl.client").subscribe((m) => heard.push(m.subject));
    await coordinator.flush();
    // when the client user sends on the client subject and tries three others
    const client = await login("client");
    const refusals = logPermissionViolations(client, "client", () => {});
    client.publish("tyrsim.perm-3.ctl.client", "{}");
    for (const subject of ["tyrsim.perm-3.fault.inject", "tyrsim.perm-3.ctl.hello", "tyrsim.perm-3.drv0.ioctl"]) client.publish(subject, "{}");
    await client.flush();
    await settle();
    // then only the client request arrives, and the three others are refused and logged
    expect(heard).toEqual(["tyrsim.perm-3.ctl.client"]);
    expect(refusals).toHaveLength(3);
    expect(server.log()).toContain(`Publish Violation - User "client", Subject "tyrsim.perm-3.fault.inject"`);
    await client.close();
    await coordinator.close();
  });

  it("make `tyrsim inject` exit 1 and say so when its user may not publish faults, and 0 for the injector", async () => {
    const inject = (user: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const env = { ...process.env, CI: "1", TYRSIM_NATS_USER: user, TYRSIM_NATS_PASS: devPasswords()[passwordVariable(user)] ?? "" };
        const child = spawn(process.execPath, ["bin/tyrsim.mjs", "inject", "dvfs-stuck", "--nats", server.url, "--run", "perm-4"], { env });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.once("exit", (code) => resolve({ code, out, err }));
      });
    const refused = await inject("memory");
    expect(refused.code, refused.err).toBe(1);
    expect(refused.err).toContain(`NATS refused: Permissions Violation for Publish to "tyrsim.perm-4.fault.inject"`);
    expect(refused.out).not.toContain("published");
    const accepted = await inject("injector");
    expect(accepted.code, accepted.err).toBe(0);
    expect(accepted.out).toContain("published FaultInjected on tyrsim.perm-4.fault.inject");
  }, 60_000);

  it("are enough for a whole `tyrsim up` run with every process logged in as itself, where the injector's fault takes effect and the auditor reads the JetStream log", async () => {
    // given a short power-cycle scenario (a few thousand events) and a seed no other test uses
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-perm-up-"));
    const scenario = join(dir, "perm-cycle.yaml");
    writeFileSync(
      scenario,
      [
        "name: perm-cycle",
        "duration: 20ms",
        "steps:",
        "  - { at: 0us, every: 100us, count: 200, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }",
        "  - { at: 60us, every: 100us, count: 200, type: PowerOffRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }",
        "",
      ].join("\n"),
    );
    const run = "perm-cycle-8801";
    const injector = await login("injector");
    const underWay = new Promise<void>((resolve) => {
      const sub = injector.subscribe(`tyrsim.${run}.gpu0.pwr.state`).subscribe(() => {
        sub.unsubscribe();
        resolve();
      });
    });
    await injector.flush();
    // when `tyrsim up` runs it, the coordinator and every service logging in with their own passwords
    const out = join(dir, "run");
    const logStart = server.log().length;
    const env: Record<string, string | undefined> = { ...process.env, ...devPasswords(), CI: "1", TYRSIM_NATS_USER: undefined, TYRSIM_NATS_PASS: undefined };
    const up = spawn(process.execPath, ["bin/tyrsim.mjs", "up", scenario, "--seed", "8801", "--out", out, "--nats", server.url, "--json"], { env });
    let stderr = "";
    up.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => up.once("exit", (code) => r(code)));
    // and the injector injects a fault once the run is under way
    await underWay;
    injector.publish(`tyrsim.${run}.fault.inject`, JSON.stringify({ type: "FaultInjected", payload: { fault: { kind: "dvfs-stuck", gpu: 0 } } }));
    await injector.flush();
    expect(await exited, stderr).toBe(0);
    await injector.close();
    // then the run completed without a single refusal from the server
    expect(server.log().slice(logStart)).not.toContain("Violation");
    expect(stderr).not.toContain("NATS refused");
    // and the fault is in the log from 'injector', and was applied
    const events = readFileSync(join(out, "events.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { source: string; type: string; timeNs: number });
    const injected = events.find((e) => e.source === "injector");
    expect(injected?.type).toBe("FaultInjected");
    expect(events.some((e) => e.type === "FaultApplied" && e.timeNs >= injected!.timeNs)).toBe(true);
    expect((await replayLog(join(out, "events.jsonl"))).divergence).toBeUndefined();
    // and the auditor exports the run from JetStream, byte for byte
    const exported = join(dir, "exported.jsonl");
    const auditorEnv = { ...process.env, CI: "1", TYRSIM_NATS_USER: "auditor", TYRSIM_NATS_PASS: devPasswords()[passwordVariable("auditor")] };
    const exp = spawn(process.execPath, ["bin/tyrsim.mjs", "export", run, "--nats", server.url, "-o", exported], { env: auditorEnv });
    let expErr = "";
    exp.stderr.on("data", (d: Buffer) => (expErr += d.toString()));
    expect(await new Promise((r) => exp.once("exit", r)), expErr).toBe(0);
    expect(readFileSync(exported)).toEqual(readFileSync(join(out, "events.jsonl")));
    expect(server.log().slice(logStart)).not.toContain("Violation");
  }, 150_000);
});
