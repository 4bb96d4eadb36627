import { randomUUID } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { useTestNatsServer, type TestNatsServer } from "../process/natsServer.ts";
import { LineEncoder } from "./encodedLines.ts";
import { openJetStreamLogSink, JetStreamLogUsageError } from "./jetstreamSink.ts";
import { JetStreamLogNotFoundError, listJetStreamRuns, openJetStreamLogSource } from "./jetstreamSource.ts";
import { JetStreamLogConfigError, LOG_STREAM, logSubjectOf, verifyLogStream } from "./jetstreamStream.ts";
import { eventLine, type LogHeader, type LogSource } from "./logFormat.ts";

let server: TestNatsServer;
let nc: NatsConnection;
const runs: string[] = [];

beforeAll(async () => {
  server = await useTestNatsServer();
  nc = await connect({ servers: server.url, name: "tyrsim-jetstream-log-test" });
});
afterAll(async () => {
  // Leave a shared server as we found it: drop this file's runs from the stream.
  const jsm = await jetstreamManager(nc);
  for (const run of runs) await jsm.streams.purge(LOG_STREAM, { filter: logSubjectOf(run, "publish") }).catch(() => undefined);
  await nc.close();
  await server.dispose();
});

/** A run id no other test (or earlier test run on a shared server) has used. */
function newRun(): string {
  const run = `test-${randomUUID()}`;
  runs.push(run);
  return run;
}

function headerOf(run: string): LogHeader {
  return { format: "tyrsim-log", version: 1, tool: "tyrsim-test", run, seed: 42, model: "g610", scenario: { file: "t.yaml", text: "steps: []\n" } };
}

function eventsOf(run: string, count: number): Envelope[] {
  return Array.from({ length: count }, (_, i) =>
    makeEnvelope({
      id: `gpu0.mmu:${i}`,
      run,
      seq: i,
      timeNs: i * 1000,
      depth: i % 3,
      source: "gpu0.mmu",
      subject: `tyrsim.${run}.gpu0.mmu.walk`,
      type: "PageWalked",
      cause: i === 0 ? null : `gpu0.mmu:${i - 1}`,
      payload: { va: `0x${(i * 4096).toString(16)}`, levels: [i % 4, "é"] },
    }),
  );
}

async function readAll(source: LogSource): Promise<string[]> {
  const lines: string[] = [];
  for await (const e of source.events()) lines.push(eventLine(e));
  await source.close();
  return lines;
}

describe("JetStream log", () => {
  it("reads back a header and 10,000 events identical and in order", async () => {
    const run = newRun();
    const events = eventsOf(run, 10_000);
    const sink = await openJetStreamLogSink(server.url, run);
    sink.writeHeader(headerOf(run));
    for (const e of events) sink.append(e);
    await sink.close();
    expect(sink.stats()).toEqual({ stored: 10_001, duplicates: 0, failed: 0, retries: 0 });

    const source = await openJetStreamLogSource(server.url, run);
    expect(source.header).toEqual(headerOf(run));
    expect(await readAll(source)).toEqual(events.map(eventLine));
  });

  it("stores events in batches of consecutive lines, flushes a stalled tail on its own, and reads single and batched records back in order", async () => {
    // given 2,000 events appended at once, then 3 more after a pause, the sink left open
    const run = newRun();
    const events = eventsOf(run, 2_003);
    const sink = await openJetStreamLogSink(server.url, run);
    sink.writeHeader(headerOf(run));
    for (const e of events.slice(0, 2_000)) sink.append(e);
    await new Promise((r) => setTimeout(r, 50));
    for (const e of events.slice(2_000)) sink.append(e);
    await new Promise((r) => setTimeout(r, 200));
    // then the stream holds far fewer messages than events, and the tail is there before close
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(LOG_STREAM, { subjects_filter: logSubjectOf(run, "publish") });
    const messages = info.state.subjects?.[logSubjectOf(run, "publish")] ?? 0;
    expect(messages).toBeGreaterThan(1);
    expect(messages).toBeLessThan(100);
    expect(await readAll(await openJetStreamLogSource(server.url, run))).toEqual(events.map(eventLine));
    await sink.close();
    expect(sink.stats()).toEqual({ stored: 2_004, duplicates: 0, failed: 0, retries: 0 });
  });

  it("stores lines encoded once, in blocks that break and resume batches, and reads them back as the lines of the events", async () => {
    // given 3,000 events handed over in uneven encoded blocks, the first ones one line at a time
    const run = newRun();
    const events = eventsOf(run, 3_000);
    const encoder = new LineEncoder();
    const sink = await openJetStreamLogSink(server.url, run);
    sink.writeHeader(headerOf(run));
    for (const e of events.slice(0, 5)) sink.appendLine(e, eventLine(e));
    for (const [from, to] of [[5, 6], [6, 1_300], [1_300, 1_301], [1_301, 3_000]] as const) sink.appendEncoded(events.slice(from, to), encoder.encode(events.slice(from, to)));
    await sink.close();
    // then every event was stored, in far fewer records than events, and reads back byte for byte
    expect(sink.stats()).toEqual({ stored: 3_001, duplicates: 0, failed: 0, retries: 0 });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(LOG_STREAM, { subjects_filter: logSubjectOf(run, "publish") });
    expect(info.state.subjects?.[logSubjectOf(run, "publish")] ?? 0).toBeLessThan(40);
    expect(await readAll(await openJetStreamLogSource(server.url, run))).toEqual(events.map(eventLine));
  });

  it("stores a run published twice only once (dedupe by msgID)", async () => {
    const run = newRun();
    const events = eventsOf(run, 50);
    for (let attempt = 0; attempt < 2; attempt++) {
      const sink = await openJetStreamLogSink(nc, run);
      sink.writeHeader(headerOf(run));
      for (const e of events) sink.append(e);
      await sink.close();
      expect(sink.stats()).toEqual(attempt === 0 ? { stored: 51, duplicates: 0, failed: 0, retries: 0 } : { stored: 0, duplicates: 51, failed: 0, retries: 0 });
    }
    expect(await readAll(await openJetStreamLogSource(nc, run))).toEqual(events.map(eventLine));
    expect(nc.isClosed()).toBe(false);
  });

  it("replaces an earlier record of the same run when asked, although the duplicate window survives a purge", async () => {
    // given a run already stored (its msgIDs still in the stream's duplicate window)
    const run = newRun();
    const first = await openJetStreamLogSink(nc, run);
    first.writeHeader(headerOf(run));
    for (const e of eventsOf(run, 20)) first.append(e);
    await first.close();
    // when the same run is written again, shorter, as a new attempt that replaces it
    const again = await openJetStreamLogSink(nc, run, { replace: { attempt: "a2" } });
    again.writeHeader(headerOf(run));
    for (const e of eventsOf(run, 7)) again.append(e);
    await again.close();
    // then the stream holds exactly the new record
    expect(again.stats()).toEqual({ stored: 8, duplicates: 0, failed: 0, retries: 0 });
    expect(await readAll(await openJetStreamLogSource(nc, run))).toEqual(eventsOf(run, 7).map(eventLine));
  });

  it("reads a run as it was when reading started, ending at its last message then", async () => {
    const run = newRun();
    const sink = await openJetStreamLogSink(nc, run);
    sink.writeHeader(headerOf(run));
    for (const e of eventsOf(run, 5)) sink.append(e);
    await sink.close();
    const source = await openJetStreamLogSource(nc, run);
    const later = await openJetStreamLogSink(nc, run);
    later.writeHeader(headerOf(run));
    for (const e of eventsOf(run, 8)) later.append(e);
    await later.close();
    expect((await readAll(source)).length).toBe(5);
  });

  it("lists the runs it holds and refuses to open one it does not", async () => {
    const run = newRun();
    const sink = await openJetStreamLogSink(nc, run);
    sink.writeHeader(headerOf(run));
    await sink.close();
    expect(await listJetStreamRuns(nc)).toContain(run);
    await expect(openJetStreamLogSource(nc, `missing-${randomUUID()}`)).rejects.toBeInstanceOf(JetStreamLogNotFoundError);
  });

  it("refuses an event appended before the header", async () => {
    const run = newRun();
    const sink = await openJetStreamLogSink(nc, run);
    expect(() => sink.append(eventsOf(run, 1)[0] as Envelope)).toThrow(JetStreamLogUsageError);
    await sink.close();
  });

  it("rejects a stream whose echoed config dropped or changed what was requested", () => {
    const info = (config: object) => ({ config: { subjects: ["tyrsimlog.>"], storage: "file", duplicate_window: 120e9, ...config } });
    expect(() => verifyLogStream(info({}) as never)).not.toThrow();
    expect(() => verifyLogStream(info({ storage: "memory" }) as never)).toThrow(JetStreamLogConfigError);
    expect(() => verifyLogStream(info({ subjects: ["other.>"] }) as never)).toThrow(/subjects/);
  });
});
