import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectNatsTransport } from "../shared/bus/natsTransport.ts";
import { runIdOf } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { attachClient, CLIENT_SCENARIO, deadbeefSession, embeddedSession, eventLines, loadedClientScenario } from "./support/clientSession.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

describe("the client API over NATS on a multi-process run", () => {
  it("runs a session from another process against `tyrsim up --clients` (every service its own process) and writes the log the same session writes in-process", async () => {
    // given `tyrsim up --clients`: every service of docker-compose.yml a process, time held for clients
    const seed = 4343;
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-client-up-"));
    const file = join(dir, "client-api.yaml");
    writeFileSync(file, CLIENT_SCENARIO);
    const out = join(dir, "run");
    const child = spawn(process.execPath, ["bin/tyrsim.mjs", "up", file, "--seed", String(seed), "--out", out, "--nats", nats().url, "--clients", "--json"], { env: { ...process.env, CI: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      // when a client in this process attaches over NATS (once every service has joined) and runs the deadbeef session
      const transport = await connectNatsTransport({ servers: nats().url, name: "tyrsim-test-client" });
      const ch = await attachClient(transport, runIdOf(loadedClientScenario().scenario, seed), "app", 1200);
      const bytes = await deadbeefSession(ch);
      await ch.detach();
      await transport.close();
      expect(await exited, stderr).toBe(0);
      // then the GPU stored 0xdeadbeef, and the run's log equals the in-process session's, event line for event line,
      const local = await embeddedSession(seed, file);
      expect(bytes).toEqual([0xef, 0xbe, 0xad, 0xde]);
      expect(local.bytes).toEqual(bytes);
      const remote = eventLines(join(out, "events.jsonl"));
      expect(remote.length).toBeGreaterThan(300);
      const firstDifference = remote.findIndex((line, i) => line !== local.events[i]);
      expect({ at: firstDifference, remote: remote[firstDifference], local: local.events[firstDifference] }).toEqual({ at: -1, remote: undefined, local: undefined });
      expect(remote.length).toBe(local.events.length);
      // and replay re-feeds the client's requests from the log: identical
      const replay = await replayLog(join(out, "events.jsonl"));
      expect(replay.match).toBe(true);
      expect(JSON.parse(stdout)).toMatchObject({ runtime: "multi-process", events: remote.length });
      expect(stderr).toContain(`waiting for clients on tyrsim.client-api-${seed}.ctl.client`);
      expect(stderr).toContain("client app: attached");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    }
  }, 180_000);
});
