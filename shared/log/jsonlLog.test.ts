import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { JsonlLogReader, LogFormatError } from "./jsonlLog.ts";
import { JsonlLogSink } from "./jsonlSink.ts";
import { eventLine, LOG_FORMAT, type LogHeader } from "./logFormat.ts";

/** The line reader's chunk size: long lines and straddling characters are aimed at it. */
const CHUNK = 1 << 20;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempPath(name = "run.jsonl"): string {
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-jsonl-"));
  dirs.push(dir);
  return join(dir, name);
}

const header: LogHeader = {
  format: "tyrsim-log",
  version: LOG_FORMAT,
  tool: "tyrsim 0.1.0",
  run: "r1",
  seed: 42,
  model: "mali-g610-rk3588",
  scenario: { file: "scenarios/boot.yaml", text: "name: boot\nduration: 1ms\n" },
};

function event(seq: number, payload: unknown = { ready: seq }): Envelope {
  return makeEnvelope({
    id: `gpu0.pwr:${seq}`,
    run: "r1",
    seq,
    timeNs: seq * 250,
    depth: seq % 2,
    source: "gpu0.pwr",
    subject: "tyrsim.r1.gpu0.pwr.l2",
    type: "PowerDomainReady",
    cause: seq === 0 ? null : `scenario:${seq}`,
    payload,
  });
}

async function writeLog(path: string, events: readonly Envelope[]): Promise<void> {
  const sink = new JsonlLogSink(path);
  sink.writeHeader(header);
  for (const e of events) sink.append(e);
  await sink.close();
}

async function readLog(path: string): Promise<{ header: LogHeader; events: Envelope[] }> {
  const reader = new JsonlLogReader(path);
  try {
    return { header: reader.header, events: [...reader] };
  } finally {
    await reader.close();
  }
}

/** The LogFormatError a function throws (fails the test when it does not throw one). */
function formatErrorOf(fn: () => unknown): LogFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LogFormatError) return e;
    throw e;
  }
  throw new Error("expected a LogFormatError, nothing was thrown");
}

describe("JsonlLogReader with JsonlLogSink", () => {
  it("reads back the header and every event identical and in order", async () => {
    // given a log of 1000 events written by the sink
    const path = tempPath();
    const events = Array.from({ length: 1000 }, (_, i) => event(i));
    await writeLog(path, events);
    // when it is read back
    const back = await readLog(path);
    // then header and events are identical, in the same order
    expect(back.header).toEqual(header);
    expect(back.events).toEqual(events);
  });

  it("reads back a header-only log as no events", async () => {
    const path = tempPath();
    await writeLog(path, []);
    expect(await readLog(path)).toEqual({ header, events: [] });
  });

  it("streams events asynchronously through events(), the LogSource contract", async () => {
    const path = tempPath();
    const events = [event(0), event(1), event(2)];
    await writeLog(path, events);
    const reader = new JsonlLogReader(path);
    const seen: Envelope[] = [];
    for await (const e of reader.events()) seen.push(e);
    await reader.close();
    expect(seen).toEqual(events);
  });

  it("returns each event with its raw line and line number (the header is line 1)", async () => {
    const path = tempPath();
    await writeLog(path, [event(0), event(1)]);
    const reader = new JsonlLogReader(path);
    const first = reader.nextLogged();
    const second = reader.nextLogged();
    expect(first).toEqual({ event: event(0), line: eventLine(event(0)), lineNumber: 2 });
    expect(second?.lineNumber).toBe(3);
    expect(reader.nextLogged()).toBeUndefined();
    await reader.close();
  });

  it("reads events whose lines are longer than the reader's 1 MiB chunk", async () => {
    // given events of 1.5 MiB and 2.5 MiB between short ones
    const path = tempPath();
    const events = [event(0), event(1, { blob: "a".repeat(1.5 * CHUNK) }), event(2), event(3, { blob: "b".repeat(2.5 * CHUNK) }), event(4)];
    await writeLog(path, events);
    // when read back, then each is intact
    const back = await readLog(path);
    expect(back.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(back.events).toEqual(events);
  });

  it("reads multi-byte UTF-8 characters (µ, 🦀) that straddle a chunk boundary", async () => {
    // given an event whose payload text puts a µ then a 🦀 across the first two chunk boundaries
    const path = tempPath();
    const prefixBytes = Buffer.byteLength(`${JSON.stringify(header)}\n`) + Buffer.byteLength(eventLine(event(0, { text: "" })).split('"text":"')[0] as string) + '"text":"'.length;
    const fill1 = "m".repeat(CHUNK - prefixBytes - 1); // µ's first byte is the chunk's last
    const fill2 = "e".repeat(CHUNK - 1 - 2); // 🦀 starts 2 bytes before the second boundary
    const text = `${fill1}µ${fill2}🦀 done`;
    const events = [event(0, { text }), event(1, { text: "µ🦀" })];
    await writeLog(path, events);
    const bytes = readFileSync(path);
    expect(bytes.subarray(CHUNK - 1, CHUNK + 1).toString("utf8")).toBe("µ");
    expect(bytes.subarray(2 * CHUNK - 2, 2 * CHUNK + 2).toString("utf8")).toBe("🦀");
    // when read back, then the characters are whole
    const back = await readLog(path);
    expect(back.events).toEqual(events);
  });

  it("reads a log whose last line has no trailing newline", async () => {
    const path = tempPath();
    const events = [event(0), event(1), event(2)];
    writeFileSync(path, [JSON.stringify(header), ...events.map(eventLine)].join("\n"));
    expect((await readLog(path)).events).toEqual(events);
  });

  it("skips blank lines but keeps counting them in line numbers", async () => {
    const path = tempPath();
    writeFileSync(path, [JSON.stringify(header), eventLine(event(0)), "", eventLine(event(1)), ""].join("\n"));
    const reader = new JsonlLogReader(path);
    expect(reader.nextLogged()?.lineNumber).toBe(2);
    expect(reader.nextLogged()?.lineNumber).toBe(4);
    expect(reader.nextLogged()).toBeUndefined();
    await reader.close();
  });
});

describe("JsonlLogReader errors", () => {
  it("reports a line that is not JSON with LogFormatError naming the file and its exact line number", async () => {
    // given a log whose 5th line (the 4th event) is cut short
    const path = tempPath("broken.jsonl");
    const lines = [JSON.stringify(header), eventLine(event(0)), eventLine(event(1)), eventLine(event(2)), eventLine(event(3)).slice(0, 40), eventLine(event(4))];
    writeFileSync(path, lines.join("\n") + "\n");
    const reader = new JsonlLogReader(path);
    // when read, the first three events come back
    expect(reader.nextLogged()?.event.seq).toBe(0);
    expect(reader.nextLogged()?.event.seq).toBe(1);
    expect(reader.nextLogged()?.event.seq).toBe(2);
    // then the fourth throws, naming file and line 5
    const error = formatErrorOf(() => reader.nextLogged());
    expect(error.name).toBe("LogFormatError");
    expect(error.file).toBe(path);
    expect(error.line).toBe(5);
    expect(error.reason).toMatch(/^not JSON: /);
    expect(error.message.startsWith(`${path}:5: `)).toBe(true);
    await reader.close();
  });

  it("counts blank lines when it names a broken line", async () => {
    const path = tempPath();
    writeFileSync(path, [JSON.stringify(header), "", "", "{oops"].join("\n"));
    const reader = new JsonlLogReader(path);
    expect(formatErrorOf(() => reader.nextLogged()).line).toBe(4);
    await reader.close();
  });

  it("reports the line number of a broken line after a line longer than a chunk", async () => {
    const path = tempPath();
    writeFileSync(path, [JSON.stringify(header), eventLine(event(0, { blob: "q".repeat(CHUNK + 10) })), "not json"].join("\n"));
    const reader = new JsonlLogReader(path);
    expect(reader.nextLogged()?.event.seq).toBe(0);
    expect(formatErrorOf(() => reader.nextLogged()).line).toBe(3);
    await reader.close();
  });

  it("reports a JSON line that is not an envelope, naming the field", async () => {
    const path = tempPath();
    const { depth: _depth, ...withoutDepth } = event(0);
    writeFileSync(path, [JSON.stringify(header), JSON.stringify(withoutDepth)].join("\n"));
    const reader = new JsonlLogReader(path);
    const error = formatErrorOf(() => reader.nextLogged());
    expect(error.line).toBe(2);
    expect(error.reason).toContain("field 'depth'");
    await reader.close();
  });

  it("passes envelope-shaped mistakes through when validation is off (the fast path)", async () => {
    const path = tempPath();
    const { depth: _depth, ...withoutDepth } = event(0);
    writeFileSync(path, [JSON.stringify(header), JSON.stringify(withoutDepth)].join("\n"));
    const reader = new JsonlLogReader(path, false);
    expect(reader.nextLogged()?.event).toEqual(withoutDepth);
    await reader.close();
  });

  it("still refuses a line that is not JSON when validation is off", async () => {
    const path = tempPath();
    writeFileSync(path, [JSON.stringify(header), "][", ""].join("\n"));
    const reader = new JsonlLogReader(path, false);
    expect(formatErrorOf(() => reader.nextLogged()).line).toBe(2);
    await reader.close();
  });

  it("refuses an empty file at line 1", () => {
    const path = tempPath();
    writeFileSync(path, "");
    const error = formatErrorOf(() => new JsonlLogReader(path));
    expect(error.file).toBe(path);
    expect(error.line).toBe(1);
    expect(error.reason).toContain("empty file");
  });

  it("refuses a header that is not JSON at line 1", () => {
    const path = tempPath();
    writeFileSync(path, "tyrsim-log v1\n");
    const error = formatErrorOf(() => new JsonlLogReader(path));
    expect(error.line).toBe(1);
    expect(error.reason).toMatch(/^header is not JSON/);
  });

  it.each([
    ["format", { ...header, format: "other-log" }],
    ["version", { ...header, version: LOG_FORMAT + 1 }],
    ["seed", { ...header, seed: "42" }],
    ["scenario.text", { ...header, scenario: { file: "x.yaml" } }],
  ])("refuses an invalid header and names the field %s", (field, bad) => {
    // given a file whose header has one bad field
    const path = tempPath();
    writeFileSync(path, `${JSON.stringify(bad)}\n${eventLine(event(0))}\n`);
    // when opened, then the error names that field at line 1
    const error = formatErrorOf(() => new JsonlLogReader(path));
    expect(error.line).toBe(1);
    expect(error.reason).toContain(`field '${field}'`);
  });

  // Regression: a refused log must not leak its file descriptor (checked through /proc/self/fd, Linux).
  it("releases the file descriptor when it refuses a header", () => {
    const path = tempPath();
    writeFileSync(path, "{}\n");
    const openFds = () => readdirSync("/proc/self/fd").length;
    const before = openFds();
    for (let i = 0; i < 20; i++) formatErrorOf(() => new JsonlLogReader(path));
    expect(openFds()).toBe(before);
  });
});
