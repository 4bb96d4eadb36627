/**
 * The client API session the over-NATS tests share: a bare device scenario, the IGT-style
 * deadbeef session written once against the non-blocking API, the same session run in-process on
 * the embedded runtime (the reference log), and attaching a remote client to a live run.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { NoRespondersError, type Transport } from "../../shared/bus/transport.ts";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import { parseScenario, type LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import { setUpSimulation } from "../../runtime/embeddedRun.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { encode, wordsToBytes } from "../../services/firmware/index.ts";
import { asAsyncChannel, embeddedChannel, type AsyncDrmChannel } from "../../services/workload/drmChannel.ts";
import { openDeviceAsync } from "../../services/workload/drmClient.ts";
import { transportDrmChannel } from "../../services/workload/transportDrmChannel.ts";
import { bindArgs, groupArgs, mapOp, queueSubmit, submitArgs, SYNC } from "./drmDevice.ts";

/** A device that only probes: user space comes from a client outside the scenario. */
export const CLIENT_SCENARIO = `name: client-api
description: a bare device for remote clients
duration: 200ms
steps:
  - { at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }
`;

/** {@link CLIENT_SCENARIO} loaded, as if from `file`. */
export const loadedClientScenario = (file = "client-api.yaml"): LoadedScenario => ({ file, text: CLIENT_SCENARIO, scenario: parseScenario(CLIENT_SCENARIO, file, createCatalogue()) });

const STREAM_VA = 0x10_0000;
const TARGET_VA = 0x20_0000;

/** An IGT-style session written once against the non-blocking API: store 0xdeadbeef from the GPU, read it back. */
export async function deadbeefSession(ch: AsyncDrmChannel): Promise<number[]> {
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

/** The same session in-process, on the embedded runtime: its log's event lines and the bytes it read. */
export async function embeddedSession(seed: number, scenarioFile: string): Promise<{ events: string[]; bytes: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-client-embedded-"));
  const sink = new JsonlLogSink(join(dir, "events.jsonl"));
  const l = loadedClientScenario(scenarioFile);
  const sim = setUpSimulation({ loaded: l, seed, sink });
  const bytes = await deadbeefSession(asAsyncChannel(embeddedChannel(sim, "app")));
  sim.run({ untilNs: l.scenario.duration });
  await sim.close();
  return { events: eventLines(join(dir, "events.jsonl")), bytes };
}

/** A log's event lines (the header line dropped). */
export const eventLines = (path: string): string[] => readFileSync(path, "utf8").trim().split("\n").slice(1);

/** Attach a client, retrying while the run is not listening yet (`tries` × 50 ms). */
export async function attachClient(transport: Transport, run: string, client: string, tries = 200) {
  for (let i = 0; ; i++) {
    try {
      return await transportDrmChannel(transport, run, client);
    } catch (e) {
      if (!(e instanceof NoRespondersError) || i > tries) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
