import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { LogDigest } from "./digest.ts";
import { JsonlLogReader } from "./jsonlLog.ts";
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
