import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { LogDigest } from "./digest.ts";
import { digestOfLogLines, JsonlLogReader } from "./jsonlLog.ts";
import { JsonlLogSink } from "./jsonlSink.ts";
import { eventLine, LOG_FORMAT, type LogHeader } from "./logFormat.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const header: LogHeader = {
  format: "tyrsim-log",
  version: LOG_FORMAT,
  tool: "tyrsim test",
  run: "r9",
  seed: 1,
  model: "mali-g310",
  scenario: { file: "x.yaml", text: "steps: []\n" },
};

function event(seq: number): Envelope {
  return makeEnvelope({
    id: `gpu0.mmu:${seq}`,
    run: "r9",
    seq,
    timeNs: seq * 1000,
    depth: seq % 3,
    source: "gpu0.mmu",
    subject: "tyrsim.r9.gpu0.mmu.fault",
    type: "AsFaultRaised",
    cause: seq === 0 ? null : `gpu0.mmu:${seq - 1}`,
    payload: { as: seq % 16, note: seq % 5 === 0 ? "µ 🦀" : "plain" },
  });
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("LogDigest", () => {
  it("is the SHA-256 of nothing when no event was added", () => {
    const d = new LogDigest();
    expect(d.events).toBe(0);
    expect(d.hex()).toBe(sha256(""));
  });

  it("is the SHA-256 of each event's canonical line followed by a newline", () => {
    const events = [event(0), event(1), event(2)];
    const d = new LogDigest();
    for (const e of events) d.add(e);
    expect(d.events).toBe(3);
    expect(d.hex()).toBe(sha256(events.map((e) => `${eventLine(e)}\n`).join("")));
  });

  it("gives the same digest whether events are added as envelopes or as lines", () => {
    const byEvent = new LogDigest();
    const byLine = new LogDigest();
    for (let i = 0; i < 20; i++) {
      byEvent.add(event(i));
      byLine.addLine(eventLine(event(i)));
    }
    expect(byEvent.hex()).toBe(byLine.hex());
  });

  it("depends on the order of events", () => {
    const ab = new LogDigest();
    ab.add(event(0));
    ab.add(event(1));
    const ba = new LogDigest();
    ba.add(event(1));
    ba.add(event(0));
    expect(ab.hex()).not.toBe(ba.hex());
  });

  it("equals for a JSONL log: the sink's digest, a digest of the events read back, and SHA-256 of the file's event lines", async () => {
    // given a log of 500 events written by the sink
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-digest-"));
    dirs.push(dir);
    const path = join(dir, "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    for (let i = 0; i < 500; i++) sink.append(event(i));
    await sink.close();
    const fromSink = sink.digest.hex();
    // when the events are read back and digested
    const reader = new JsonlLogReader(path);
    const fromRead = new LogDigest();
    for (const e of reader) fromRead.add(e);
    await reader.close();
    // and, independently, the file's lines after the header are hashed with node:crypto
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    const independent = createHash("sha256");
    for (const line of lines.slice(1, -1)) independent.update(`${line}\n`);
    // then all three agree
    expect(fromRead.events).toBe(500);
    expect(fromRead.hex()).toBe(fromSink);
    expect(independent.digest("hex")).toBe(fromSink);
  });
});

describe("a log file's events digested from its bytes", () => {
  /** A log of `n` events (multi-byte characters among them, over several 1 MiB chunks when n is large) written by the sink; its path and the sink's digest. */
  async function written(n: number): Promise<{ path: string; digest: string }> {
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-digest-"));
    dirs.push(dir);
    const path = join(dir, "run.jsonl");
    const sink = new JsonlLogSink(path);
    sink.writeHeader(header);
    for (let i = 0; i < n; i++) sink.append(event(i));
    await sink.close();
    return { path, digest: sink.digest.hex() };
  }
  const readAll = (reader: JsonlLogReader): number => {
    let n = 0;
    while (reader.nextLine() !== undefined) n++;
    return n;
  };

  it("equals the sink's digest once the file is read to the end, across chunk boundaries", async () => {
    // given a log of 20,000 events (about 4 MiB: several chunks)
    const log = await written(20_000);
    // when it is read line by line with the byte digest on, and with events parsed
    const lines = new JsonlLogReader(log.path, false, { digest: true });
    expect(readAll(lines)).toBe(20_000);
    const parsed = new JsonlLogReader(log.path, true, { digest: true });
    for (let l = parsed.nextLogged(); l !== undefined; l = parsed.nextLogged());
    // then both give the sink's digest, as does the line-by-line digest
    expect(lines.eventsDigest()).toBe(log.digest);
    expect(parsed.eventsDigest()).toBe(log.digest);
    expect(digestOfLogLines(log.path)).toBe(log.digest);
  });

  it("is not given before the end of the file, nor without the digest option", async () => {
    const log = await written(10);
    const reader = new JsonlLogReader(log.path, false, { digest: true });
    for (let i = 0; i < 10; i++) reader.nextLine();
    // every line read, but the end of the file not seen yet
    expect(reader.eventsDigest()).toBeUndefined();
    expect(reader.nextLine()).toBeUndefined();
    expect(reader.eventsDigest()).toBe(log.digest);
    const plain = new JsonlLogReader(log.path, false);
    readAll(plain);
    expect(plain.eventsDigest()).toBeUndefined();
  });

  it("is refused for a file with blank lines or no final newline, whose line digest stays the events'", async () => {
    // given the same log with blank lines added, and with its final newline cut
    const log = await written(50);
    const text = readFileSync(log.path, "utf8");
    const lines = text.split("\n");
    const blank = log.path.replace(".jsonl", "-blank.jsonl");
    writeFileSync(blank, [lines[0], "", ...lines.slice(1, 20), "", ...lines.slice(20)].join("\n"));
    const cut = log.path.replace(".jsonl", "-cut.jsonl");
    writeFileSync(cut, text.slice(0, -1));
    for (const path of [blank, cut]) {
      // when each is read to the end with the byte digest on
      const reader = new JsonlLogReader(path, false, { digest: true });
      expect(readAll(reader)).toBe(50);
      // then the byte digest is not offered, and the line digest is the original log's
      expect(reader.eventsDigest()).toBeUndefined();
      expect(digestOfLogLines(path)).toBe(log.digest);
    }
  });

  it("digests only the first lines asked for", async () => {
    const log = await written(30);
    const first = new LogDigest();
    for (let i = 0; i < 12; i++) first.add(event(i));
    expect(digestOfLogLines(log.path, 12)).toBe(first.hex());
  });
});
