import type { Envelope } from "../shared/events/envelope.ts";
import { FileEventsDigest } from "../shared/log/digest.ts";
import { JsonlLogReader } from "../shared/log/jsonlLog.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { LogBytesCursor } from "../shared/log/logBytesCursor.ts";
import { streamLinesContaining } from "../shared/log/lineReader.ts";
import { eventLine, type LogHeader, type LogSink } from "../shared/log/logFormat.ts";
import { INPUT_SOURCES } from "../shared/runtime/simulation.ts";
import { parseScenario, type LoadedScenario } from "../shared/scenario/loadScenario.ts";
import type { EventRegistry } from "../shared/events/registry.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { setUpSimulation } from "./embeddedRun.ts";

/** The first place where a replay and its log disagree. */
export interface Divergence {
  /** Log position of the first differing event. */
  readonly seq: number;
  /** The event line in the log, or undefined when the replay produced more events than the log holds. */
  readonly expected: string | undefined;
  /** The event line the replay produced, or undefined when the replay ended before the log did. */
  readonly actual: string | undefined;
}

/** The outcome of `tyrsim replay`. */
export interface ReplayResult {
  readonly header: LogHeader;
  readonly events: number;
  readonly match: boolean;
  readonly divergence?: Divergence;
  /** Digest of the log's events read (up to the divergence or the bound). */
  readonly digest: string;
  /** Actor states at the stop point (with `untilSeq`). */
  readonly states?: Readonly<Record<string, unknown>>;
  /**
   * How the re-run was held against the log: `bytes` — the bytes of every line it made against the
   * log's, a batch at a time, nothing of the log decoded; `lines` — line by line, which names the
   * first divergence (the way of `untilSeq`, and of a log whose bytes differ).
   */
  readonly comparedBy: "bytes" | "lines";
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Stop after the event with this sequence number and report the actors' states there. */
  readonly untilSeq?: number;
  readonly onProgress?: (timeNs: number, events: number) => void;
  /**
   * Called when the log's bytes differ from the re-run's and the run is replayed again, line by
   * line, to name the first divergence — with how many events the first pass re-made before it
   * stopped. Progress starts over (a progress bar should say so).
   */
  readonly onComparingLines?: (replayed: number) => void;
}

/** The starts of the canonical lines of inputs the replay re-creates itself (scenario steps, `RunEnded`), as bytes: `{"id":"<source>:` then digits and a quote. */
const RECREATED_PREFIXES = [INPUT_SOURCES.scenario, INPUT_SOURCES.runtime].map((source) => Buffer.from(`{"id":"${source}:`, "utf8"));
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const QUOTE = 0x22;

/** Is the line `bytes[start, end)` an input the replay re-creates, by its id? Told from the bytes, so such lines are never decoded. */
function recreatedInput(bytes: Buffer, start: number, end: number): boolean {
  for (const prefix of RECREATED_PREFIXES) {
    let at = start + prefix.length;
    if (at > end || bytes.compare(prefix, 0, prefix.length, start, at) !== 0) continue;
    const digits = at;
    while (at < end && bytes[at]! >= DIGIT_0 && bytes[at]! <= DIGIT_9) at++;
    return at > digits && at < end && bytes[at] === QUOTE;
  }
  return false;
}

/**
 * Inputs that came from outside the simulation — injections, and requests of remote user-space
 * clients (`runtime/clients/`) — which replay must feed again: the events without a cause whose
 * source is neither a hosted actor nor the scenario or the runtime (both of which the replay
 * re-creates itself). Found by a byte search for the canonical `"cause":null` every input carries,
 * so the other lines are never decoded; each candidate is parsed and checked.
 */
function collectOutsideInputs(path: string, hosted: ReadonlySet<string>, tap?: (bytes: Uint8Array) => void): Envelope[] {
  const inputs: Envelope[] = [];
  // The scenario's and the runtime's own inputs (most candidates) are told by their id's bytes: never decoded.
  for (const line of streamLinesContaining(path, `"cause":null`, recreatedInput, tap)) {
    const e = JSON.parse(line) as Partial<Envelope>;
    if (e.cause !== null || typeof e.id !== "string" || typeof e.source !== "string") continue;
    if (e.source === INPUT_SOURCES.scenario || e.source === INPUT_SOURCES.runtime || hosted.has(e.source)) continue;
    inputs.push(e as Envelope);
  }
  return inputs;
}

/** A sink that compares each replayed event with the next line of the log and stops at the first difference. */
class ComparingSink implements LogSink {
  divergence: Divergence | undefined;
  compared = 0;
  onDiverge: () => void = () => {};

  constructor(private readonly reader: JsonlLogReader) {}

  writeHeader(): void {}

  append(e: Envelope): void {
    if (this.divergence !== undefined) return;
    const actual = eventLine(e);
    // The log's line is compared as text: it is never parsed (and the reader digests its bytes).
    const expected = this.reader.nextLine();
    if (expected !== actual) {
      this.divergence = { seq: e.seq, expected, actual };
      this.onDiverge();
      return;
    }
    this.compared++;
  }

  /** After the run: a log longer than the replay is a divergence too. */
  finish(): void {
    if (this.divergence !== undefined) return;
    const extra = this.reader.nextLine();
    if (extra !== undefined) this.divergence = { seq: this.compared, expected: extra, actual: undefined };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Re-run a logged run from its own inputs — the scenario text, seed and model in its header, and
 * any injected events — and compare every event with the log, byte for byte, streaming both.
 *
 * Two ways, one verdict. Without `untilSeq`, the re-run's lines are first held against the log's
 * bytes as they are made, a batch at a time (`LogBytesCursor`), after one read of the log has found
 * its outside inputs and digested its bytes: no log line is decoded, split or compared as text. If
 * the bytes differ — the log diverges, is cut short, runs long, or is laid out otherwise (blank
 * lines, no final newline) — that pass stops there, and the run is replayed again line by line,
 * which names the first differing event.
 */
export async function replayLog(path: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const registry = createCatalogue();
  const headerReader = new JsonlLogReader(path, true);
  const header = headerReader.header;
  await headerReader.close();
  const scenario = parseScenario(header.scenario.text, `${path} (header scenario ${header.scenario.file})`, registry);
  const loaded: LoadedScenario = { file: header.scenario.file, text: header.scenario.text, scenario };
  if (opts.untilSeq === undefined) {
    const byBytes = await replayByBytes(path, header, loaded, registry, opts);
    if (byBytes.result !== undefined) return byBytes.result;
    opts.onComparingLines?.(byBytes.replayed);
  }
  return replayByLines(path, loaded, registry, opts);
}

/**
 * The re-run's lines, encoded as the embedded runtime encodes its log, held against the log's
 * bytes batch by batch, stopping at the first batch that differs; the log's digest taken in the
 * same read that finds its outside inputs. The result when every byte agrees, and how many events
 * were re-made either way.
 */
async function replayByBytes(path: string, header: LogHeader, loaded: LoadedScenario, registry: EventRegistry, opts: ReplayOptions): Promise<{ result?: ReplayResult; replayed: number }> {
  const log = new LogBytesCursor(path);
  let same = true;
  let stop = (): void => {};
  const sink = new JsonlLogSink(undefined, (bytes) => {
    if (same && !log.matches(bytes)) {
      same = false;
      stop();
    }
  });
  try {
    const sim = setUpSimulation({ loaded, seed: header.seed, sink, registry });
    stop = () => sim.stop();
    const logged = new FileEventsDigest();
    for (const input of collectOutsideInputs(path, new Set(sim.hosted().keys()), logged.feed)) sim.replayInput(input);
    const outcome = sim.run({ untilNs: loaded.scenario.duration, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    // Closing the sink holds its last lines against the log.
    await sim.close();
    if (!same || !log.atEnd()) return { replayed: outcome.events };
    return { result: { header, events: outcome.events, match: true, digest: logged.hex(), comparedBy: "bytes" }, replayed: outcome.events };
  } finally {
    log.close();
  }
}

/**
 * The re-run compared with the log line by line, stopping at the first difference or at `untilSeq`.
 * Its outside inputs are read from the log again, not taken over from a digest pass before it: a
 * run that went wrong must not be fed objects an actor of that run may have touched.
 */
async function replayByLines(path: string, loaded: LoadedScenario, registry: EventRegistry, opts: ReplayOptions): Promise<ReplayResult> {
  const reader = new JsonlLogReader(path, true, { digest: true });
  const header = reader.header;
  const sink = new ComparingSink(reader);
  const sim = setUpSimulation({ loaded, seed: header.seed, sink, registry });
  sink.onDiverge = () => sim.stop();
  for (const input of collectOutsideInputs(path, new Set(sim.hosted().keys()))) sim.replayInput(input);
  const outcome = sim.run({
    untilNs: loaded.scenario.duration,
    ...(opts.untilSeq !== undefined ? { untilSeq: opts.untilSeq } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  if (outcome.reason !== "until") sink.finish();
  await sim.close();
  // Read to the end, the log's bytes were digested as read; stopped early, the lines read are digested again.
  const digest = reader.digestOfRead();
  await reader.close();
  const states: Record<string, unknown> = {};
  for (const [name, a] of sim.hosted()) states[name] = a.behaviour.snapshot();
  return {
    header,
    events: sink.compared,
    match: sink.divergence === undefined,
    ...(sink.divergence !== undefined ? { divergence: sink.divergence } : {}),
    digest,
    ...(opts.untilSeq !== undefined ? { states } : {}),
    comparedBy: "lines",
  };
}
