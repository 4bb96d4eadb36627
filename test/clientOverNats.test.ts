import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNatsTransport } from "../shared/bus/natsTransport.ts";
import { MemoryTransport } from "../shared/bus/memoryTransport.ts";
import { NoRespondersError, type Transport } from "../shared/bus/transport.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { startNatsServer, type NatsServerHandle } from "../shared/process/natsServer.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { clientSubject, ClientReplySchema } from "../runtime/clients/clientProtocol.ts";
import { runEmbedded, runIdOf, setUpSimulation } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { encode, wordsToBytes } from "../services/firmware/index.ts";
import { asAsyncChannel, embeddedChannel, type AsyncDrmChannel } from "../services/workload/drmChannel.ts";
import { openDeviceAsync } from "../services/workload/drmClient.ts";
import { transportDrmChannel } from "../services/workload/transportDrmChannel.ts";
import { bindArgs, groupArgs, mapOp, queueSubmit, submitArgs, SYNC } from "./support/drmDevice.ts";

// A device that only probes: user space comes from a client outside the scenario.
const SCENARIO = `name: client-api
description: a bare device for remote clients
duration: 200ms
steps:
  - { at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }
`;
const loaded = () => ({ file: "client-api.yaml", text: SCENARIO, scenario: parseScenario(SCENARIO, "client-api.yaml", createCatalogue()) });

const STREAM_VA = 0x10_0000;
const TARGET_VA = 0x20_0000;

/** An IGT-style session written once against the non-blocking API: store 0xdeadbeef from the GPU, read it back. */
async function deadbeefSession(ch: AsyncDrmChannel): Promise<number[]> {
  await ch.advance(5_000_000); // the probe boots the firmware meanwhile
  const f = await openDeviceAsync(ch);
  const vm = (await f.ioctl("VM_CREATE")).out.id as number;
  const stream = (await f.ioctl("BO_CREATE", { size: 4096 })).out.handle as number;
  const target = (await f.ioctl("BO_CREATE", { size: 4096 })).out.handle as number;
  expect((await f.ioctl("VM_BIND", bindArgs(vm, [mapOp(stream, STREAM_VA, 4096), mapOp(target, TARGET_VA, 4096)]))).ret).toBe(0);
  const words = [encode.move32(0, 0xdeadbeef), encode.move48(2, TARGET_VA), encode.storeMultiple(0, 2, 0b1)];
  await (await f.mmap(stream)).write(0, wordsToBytes(words));
  const group = await f.ioctl("GROUP_CREATE", groupArgs(vm));
  expect(group.ret).toBe(0);
  const out = await f.syncobjCreate();
  const submit = await f.ioctl("GROUP_SUBMIT", submitArgs(group.out.group_handle as number, [queueSubmit(0, STREAM_VA, words.length * 8, [{ flags: SYNC.SIGNAL, handle: out }])]));
  expect(submit.ret).toBe(0);
  expect((await f.syncobjWait([out], { timeoutNs: 100_000_000 })).ret).toBe(0);
  const bytes = [...(await (await f.mmap(target)).read(0, 4))];
  expect(await f.close()).toBe(0);
  return bytes;
}

/** The same session in-process, on the embedded runtime: its log's events. */
async function embeddedSession(seed: number, scenarioFile: string): Promise<{ events: string[]; bytes: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-client-embedded-"));
  const sink = new JsonlLogSink(join(dir, "events.jsonl"));
  const l = { ...loaded(), file: scenarioFile };
  const sim = setUpSimulation({ loaded: l, seed, sink });
  const bytes = await deadbeefSession(asAsyncChannel(embeddedChannel(sim, "app")));
  sim.run({ untilNs: l.scenario.duration });
  await sim.close();
  return { events: eventLines(join(dir, "events.jsonl")), bytes };
}

/** A log's event lines (the header line dropped). */
const eventLines = (path: string): string[] => readFileSync(path, "utf8").trim().split("\n").slice(1);

/** Attach a client, retrying while the run is not listening yet. */
async function attach(transport: Transport, run: string, client: string) {
  for (let i = 0; ; i++) {
    try {
      return await transportDrmChannel(transport, run, client);
    } catch (e) {
      if (!(e instanceof NoRespondersError) || i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

let nats: NatsServerHandle;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats.dispose();
});

describe("the client API over NATS", () => {
  it("runs a session from another process against `tyrsim run --clients` and writes the log the same session writes in-process", async () => {
    // given a live run started by the CLI, holding virtual time for clients
    const seed = 4242;
    const l = loaded();
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-client-nats-"));
    const file = join(dir, "client-api.yaml");
    writeFileSync(file, SCENARIO);
    const child = spawn(process.execPath, ["bin/tyrsim.mjs", "run", file, "--seed", String(seed), "--out", join(dir, "run"), "--nats", nats.url, "--clients", "--no-trace", "--json"], { env: { ...process.env, CI: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // when a client in this process attaches over NATS and runs the deadbeef session
    const transport = await connectNatsTransport({ servers: nats.url, name: "tyrsim-test-client" });
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
