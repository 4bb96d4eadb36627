import { z } from "zod";
import type { Envelope } from "../events/envelope.ts";
import type { EncodedLines } from "./encodedLines.ts";

/** Version of the log format; bumped when a reader of the old format could misread the new one. */
export const LOG_FORMAT = 1;

/**
 * The first record of every log: everything needed to replay the run from the log alone — the
 * scenario's text, the seed, the GPU model and the tool version.
 */
export const LogHeaderSchema = z.object({
  format: z.literal("tyrsim-log"),
  version: z.literal(LOG_FORMAT),
  tool: z.string(),
  run: z.string(),
  seed: z.number().int(),
  model: z.string(),
  scenario: z.object({
    /** File name the scenario was loaded from (informational; replay uses `text`). */
    file: z.string(),
    /** The scenario's YAML text, verbatim. */
    text: z.string(),
  }),
});

/** The run header, first line of a JSON-lines log and first message of a JetStream run. */
export type LogHeader = z.infer<typeof LogHeaderSchema>;

/** Where a runtime appends the events it delivers, in canonical order. */
export interface LogSink {
  /** Record the run header; called once, before any event. */
  writeHeader(header: LogHeader): void;
  /** Append one delivered event (its `seq` is already set). */
  append(event: Envelope): void;
  /**
   * `append` for a caller that already has the event's canonical line, `eventLine(event)` (a tee of
   * sinks, a runtime that also publishes the line): the sink writes `line` rather than
   * stringifying the event again. Optional; a sink without it is given `append(event)`.
   */
  appendLine?(event: Envelope, line: string): void;
  /**
   * `append` for consecutive events (in `seq` order) whose lines a caller has already encoded
   * (`EncodedLines`, the multi-process coordinator's log writer): the sink takes the bytes as they
   * are. Optional; a sink without it is given each event.
   */
  appendEncoded?(events: readonly Envelope[], lines: EncodedLines): void;
  /** Make everything appended so far durable, then release resources. */
  close(): Promise<void>;
}

/** A log read back: its header, then its events in order, streamed (never loaded whole). */
export interface LogSource {
  readonly header: LogHeader;
  events(): AsyncIterable<Envelope>;
  close(): Promise<void>;
}

/** Canonical one-line text of an event in a JSON-lines log (what digests and byte comparisons use). */
export function eventLine(e: Envelope): string {
  return JSON.stringify(e);
}

/** The key of `seq` in a canonical line, and the characters before its value. */
const SEQ_KEY = '"seq":';

/**
 * The canonical line of an event from the canonical line of the same event under another `seq`
 * (a line a service made with a provisional number): the number spliced in, no JSON made again.
 * The first `"seq":` of a canonical line is its key — `id` and `run`, the only fields before it,
 * are JSON strings, which cannot hold an unescaped quote — and its value, an integer, ends at the
 * next comma (`timeNs` follows).
 */
export function lineWithSeq(line: string, seq: number): string {
  const at = line.indexOf(SEQ_KEY) + SEQ_KEY.length;
  return line.slice(0, at) + seq + line.slice(line.indexOf(",", at));
}
