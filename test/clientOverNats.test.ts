import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectNatsTransport } from "../shared/bus/natsTransport.ts";
import { MemoryTransport } from "../shared/bus/memoryTransport.ts";
import { NoRespondersError } from "../shared/bus/transport.ts";
import { clientSubject, ClientReplySchema } from "../runtime/clients/clientProtocol.ts";
import { runEmbedded, runIdOf } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { attachClient as attach, CLIENT_SCENARIO as SCENARIO, deadbeefSession, embeddedSession, eventLines, loadedClientScenario as loaded } from "./support/clientSession.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

describe("the client API over NATS", () => {
  it("runs a session from another process against `tyrsim run --clients` and writes the log the same session writes in-process", async () => {
    // given a live run started by the CLI, holding virtual time for clients
    const seed = 4242;
    const l = loaded();
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-client-nats-"));
    const file = join(dir, "client-api.yaml");
    writeFileSync(file, SCENARIO);
    const child = spawn(process.execPath, ["bin/tyrsim.mjs", "run", file, "--seed", String(seed), "--out", join(dir, "run"), "--nats", nats().url, "--clients", "--no-trace", "--json"], { env: { ...process.env, CI: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // when a client in this process attaches over NATS and runs the deadbeef session
    const transport = await connectNatsTransport({ servers: nats().url, name: "tyrsim-test-client" });
    const ch = await attach(transport, runIdOf(l.scenario, seed), "app");
    const bytes = await deadbeefSession(ch);
    await ch.detach();
    await transport.close();
    expect(await exited, stderr).toBe(0);
    // then the GPU stored 0xdeadbeef, the run's log equals the in-process session's byte for byte,
    const local = await embeddedSession(seed, file);
    expect(bytes).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(local.bytes).toEqual(bytes);
    const remote = eventLines(join(dir, "run", "events.jsonl"));
    expect(remote.length).toBeGreaterThan(300);
    const firstDifference = remote.findIndex((line, i) => line !== local.events[i]);
    expect({ at: firstDifference, remote: remote[firstDifference], local: local.events[firstDifference] }).toEqual({ at: -1, remote: undefined, local: undefined });
    expect(remote.length).toBe(local.events.length);
    const replay = await replayLog(join(dir, "run", "events.jsonl"));
    // and replay re-feeds the client's requests from the log: identical
    expect(replay.match).toBe(true);
    expect(stderr).toContain("client app: attached");
  }, 120_000);

  it("answers malformed, unknown and misnamed requests with an error naming the field, and the session goes on", async () => {
    // given a live run over an in-memory transport, serving clients
    const transport = new MemoryTransport();
    const l = loaded();
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-client-errors-"));
    const running = runEmbedded({ loaded: l, seed: 5, outDir: dir, external: transport, clients: {} });
    const run = runIdOf(l.scenario, 5);
    const ask = async (msg: unknown) => ClientReplySchema.parse(JSON.parse((await transport.request(clientSubject(run), typeof msg === "string" ? msg : JSON.stringify(msg), { timeoutMs: 10_000 })).data as string));
    // when a client sends broken messages
    const notJson = await ask("{nope");
    const noOp = await ask({ client: "app" });
    const actorName = await ask({ op: "attach", client: "drv0" });
    const ch = await attach(transport, run, "app");
    const unknownType = await ask({ op: "request", client: "app", type: "NoSuchEvent", path: "drv0.ioctl", payload: {}, answer: { types: ["IoctlCompleted"], tag: "x" } });
    const badPayload = await ask({ op: "request", client: "app", type: "IoctlIssued", path: "drv0.ioctl", payload: { file: -1 }, answer: { types: ["IoctlCompleted"], tag: "x" } });
    // then each is refused with its reason, and a valid session still works afterwards
    expect(notJson).toMatchObject({ ok: false, error: expect.stringContaining("not valid JSON") });
    expect(noOp).toMatchObject({ ok: false, error: expect.stringContaining("op") });
    expect(actorName).toMatchObject({ ok: false, error: expect.stringContaining("'drv0' is the name of a simulation source") });
    expect(unknownType).toMatchObject({ ok: false, error: expect.stringContaining("unknown event type 'NoSuchEvent'") });
    expect(badPayload).toMatchObject({ ok: false, error: expect.stringMatching(/^payload\.file/) });
    expect(await deadbeefSession(ch)).toEqual([0xef, 0xbe, 0xad, 0xde]);
    await ch.detach();
    const summary = await running;
    // and once the run has ended, nobody answers (rather than a request hanging)
    expect(summary.rejected).toBe(0);
    await expect(ch.advance(1)).rejects.toBeInstanceOf(NoRespondersError);
    await expect(ch.request({ def: createCatalogue().get("IoctlIssued")!, path: "drv0.ioctl", payload: {}, answer: { types: ["IoctlCompleted"], tag: "late" } })).rejects.toBeInstanceOf(NoRespondersError);
  }, 60_000);
});
