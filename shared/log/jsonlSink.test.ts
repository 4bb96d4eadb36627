import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { LineEncoder } from "./encodedLines.ts";
import { JsonlLogSink, MemoryLogSink, NullLogSink } from "./jsonlSink.ts";
import { eventLine, LOG_FORMAT, type LogHeader } from "./logFormat.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-sink-"));
  dirs.push(dir);
  return dir;
}

const header: LogHeader = {
  format: "tyrsim-log",
  version: LOG_FORMAT,
  tool: "tyrsim test",
  run: "r1",
  seed: 7,
  model: "mali-g610",
  scenario: { file: "boot.yaml", text: "name: boot\n" },
};

function event(seq: number, payload: unknown = { n: seq }): Envelope {
  return makeEnvelope({
    id: `gpu0.pwr:${seq}`,
    run: "r1",
    seq,
    timeNs: seq * 100,
    depth: 0,
    source: "gpu0.pwr",
    subject: "tyrsim.r1.gpu0.pwr.state",
    type: "PowerDomainReady",
    cause: null,
    payload,
  });
}

const fileLines = (path: string): string[] => readFileSync(path, "utf8").split("\n");

describe("JsonlLogSink", () => {
  it("writes the header as the first line and one canonical line per event, each ending in a newline", async () => {
    // given a sink in a fresh directory
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    // when a header and three events are written and the sink closed
    sink.writeHeader(header);
    const events = [event(0), event(1), event(2)];
    for (const e of events) sink.append(e);
    await sink.close();
    // then the file is those lines, in order
    expect(fileLines(path)).toEqual([JSON.stringify(header), ...events.map(eventLine), ""]);
  });

  it("creates missing parent directories", async () => {
    const path = join(tempDir(), "runs", "deep", "nested", "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    await sink.close();
    expect(existsSync(path)).toBe(true);
  });

  it("buffers small writes until flushed or closed", async () => {
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    sink.append(event(0));
    expect(readFileSync(path, "utf8")).toBe("");
    sink.flush();
    expect(fileLines(path)).toHaveLength(3);
    sink.append(event(1));
    await sink.close();
    expect(fileLines(path)).toHaveLength(4);
  });

  it("writes in batches on its own once a quarter megabyte is buffered", async () => {
    // given events of ~10 kB each
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    // when 40 of them (~400 kB) are appended without a flush
    for (let i = 0; i < 40; i++) sink.append(event(i, { blob: "z".repeat(10_000) }));
    // then part of the log is already on disk, as whole lines
    const onDisk = readFileSync(path, "utf8");
    expect(onDisk.length).toBeGreaterThan(256 * 1024);
    expect(onDisk.endsWith("\n")).toBe(true);
    await sink.close();
    expect(fileLines(path)).toHaveLength(1 + 40 + 1);
  });

  it("writes a line longer than a whole batch in one piece", async () => {
    // given a header and an event each larger than the quarter-megabyte batch
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    const bigHeader = { ...header, scenario: { file: "big.yaml", text: "#".repeat(300_000) } };
    sink.writeHeader(bigHeader);
    const events = [event(0), event(1, { blob: "é".repeat(600_000) }), event(2)];
    // when they are appended and the sink closed
    for (const e of events) sink.append(e);
    await sink.close();
    // then the file holds every line whole, and the digest counts the events only
    expect(fileLines(path)).toEqual([JSON.stringify(bigHeader), ...events.map(eventLine), ""]);
    expect(sink.digest.events).toBe(3);
  });

  it("writes the same bytes as one join of the lines, however multi-byte characters fall across batches", async () => {
    // given events whose UTF-8 length differs from their length in UTF-16 units
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    const events = Array.from({ length: 300 }, (_, i) => event(i, { note: "µs 🦀 ".repeat(1 + (i % 97) * 20) }));
    // when they are appended (several batches) and the sink closed
    for (const e of events) sink.append(e);
    await sink.close();
    // then the file is byte for byte the header and the lines joined
    const expected = Buffer.from([JSON.stringify(header), ...events.map(eventLine), ""].join("\n"));
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it("writes lines encoded elsewhere exactly as it writes the events, digest included, blocks larger than a batch too", async () => {
    // given the same events, multi-byte and some larger than a batch, written one by one and as encoded blocks
    const events = Array.from({ length: 120 }, (_, i) => event(i, { note: "µs 🦀 ".repeat(1 + (i % 13) * (i % 40 === 0 ? 20_000 : 30)) }));
    const [onePath, blocksPath] = [join(tempDir(), "one.jsonl"), join(tempDir(), "blocks.jsonl")];
    const one = new JsonlLogSink(onePath);
    const blocks = new JsonlLogSink(blocksPath);
    one.writeHeader(header);
    blocks.writeHeader(header);
    for (const e of events) one.append(e);
    const encoder = new LineEncoder();
    for (const [from, to] of [[0, 1], [1, 41], [41, 42], [42, 120]] as const) blocks.appendEncoded(events.slice(from, to), encoder.encode(events.slice(from, to)));
    await one.close();
    await blocks.close();
    // then both files are the same bytes, and both digests count the same events
    expect(readFileSync(blocksPath).equals(readFileSync(onePath))).toBe(true);
    expect(blocks.digest.events).toBe(120);
    expect(blocks.digest.hex()).toBe(one.digest.hex());
  });

  it("without a path writes nothing and digests the lines it would have written", async () => {
    // given a file sink and a sink without a path, both given the same events (some larger than a batch)
    const dir = tempDir();
    const events = Array.from({ length: 40 }, (_, i) => event(i, { note: "µs ".repeat(i % 10 === 0 ? 200_000 : 5) }));
    const file = new JsonlLogSink(join(dir, "run.jsonl"));
    const digestOnly = new JsonlLogSink(undefined);
    for (const s of [file, digestOnly]) {
      s.writeHeader(header);
      for (const e of events) s.append(e);
      await s.close();
    }
    // then the two digests agree, event count included, and the directory holds the one file
    expect(digestOnly.digest.events).toBe(40);
    expect(digestOnly.digest.hex()).toBe(file.digest.hex());
    expect(readdirSync(dir)).toEqual(["run.jsonl"]);
  });

  it("with a tap hands the tap every event line's bytes, in batches, instead of digesting them", async () => {
    // given a file sink and a sink without a path whose event bytes go to a tap, given the same events
    const path = join(tempDir(), "run.jsonl");
    const events = Array.from({ length: 30 }, (_, i) => event(i, { note: "µs ".repeat(i % 10 === 0 ? 150_000 : 5) }));
    const file = new JsonlLogSink(path);
    const batches: Buffer[] = [];
    const tapped = new JsonlLogSink(undefined, (bytes) => batches.push(Buffer.from(bytes)));
    for (const s of [file, tapped]) {
      s.writeHeader(header);
      for (const e of events) s.append(e);
      await s.close();
    }
    // then the tap got the file's bytes after its header, in more than one batch, and nothing was digested
    const written = readFileSync(path);
    expect(Buffer.concat(batches).equals(written.subarray(written.indexOf(0x0a) + 1))).toBe(true);
    expect(batches.length).toBeGreaterThan(1);
    expect(tapped.digest.events).toBe(0);
  });

  it("closes only once; a second close is harmless", async () => {
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    await sink.close();
    await expect(sink.close()).resolves.toBeUndefined();
    expect(fileLines(path)).toEqual([JSON.stringify(header), ""]);
  });

  it("counts the events it digests, not the header, once what it buffered is written", async () => {
    const sink = new JsonlLogSink(join(tempDir(), "run.jsonl"));
    sink.writeHeader(header);
    sink.append(event(0));
    sink.append(event(1));
    await sink.close();
    expect(sink.digest.events).toBe(2);
  });

  it("writes non-ASCII payloads as UTF-8", async () => {
    const path = join(tempDir(), "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    sink.append(event(0, { note: "µs 🦀" }));
    await sink.close();
    expect(fileLines(path)[1]).toContain("µs 🦀");
  });
});

describe("MemoryLogSink", () => {
  it("keeps the header and the events in order", async () => {
    const sink = new MemoryLogSink();
    sink.writeHeader(header);
    sink.append(event(0));
    sink.append(event(1));
    await sink.close();
    expect(sink.header).toEqual(header);
    expect(sink.events.map((e) => e.seq)).toEqual([0, 1]);
  });
});

describe("NullLogSink", () => {
  it("accepts everything and keeps nothing", async () => {
    const sink = new NullLogSink();
    sink.writeHeader();
    sink.append();
    await expect(sink.close()).resolves.toBeUndefined();
  });
});
