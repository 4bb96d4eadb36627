import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { JsonlLogReader } from "../shared/log/jsonlLog.ts";
import { TOOL_VERSION } from "../runtime/toolVersion.ts";
import { DEFAULT_FLOW_WINDOW, createTraceBuilder, type TraceSummary } from "./traceBuilder.ts";
import type { TraceEvent } from "./traceEvent.ts";

/** Options of {@link writeTraceFile}. */
export interface TraceFileOptions {
  readonly compact?: boolean;
  readonly flowWindow?: number;
}

/** A written trace: where, and what it holds. */
export interface TraceFileResult extends TraceSummary {
  readonly out: string;
  readonly run: string;
}

const CHUNK = 1 << 20;

/**
 * Chrome trace JSON written as it is produced: `{"traceEvents":[` … `],"displayTimeUnit":"ns",
 * "metadata":{…}}`, one event per line, in chunks of about a megabyte.
 */
class TraceJsonWriter {
  private readonly fd: number;
  private buf = '{"traceEvents":[\n';
  private first = true;

  constructor(path: string) {
    this.fd = openSync(path, "w");
  }

  event(e: TraceEvent): void {
    this.buf += (this.first ? "" : ",\n") + JSON.stringify(e);
    this.first = false;
    if (this.buf.length >= CHUNK) this.flush();
  }

  close(metadata: Record<string, unknown>): void {
    this.buf += `\n],\n"displayTimeUnit":"ns",\n"metadata":${JSON.stringify(metadata)}}\n`;
    this.flush();
    closeSync(this.fd);
  }

  abort(): void {
    closeSync(this.fd);
  }

  private flush(): void {
    writeSync(this.fd, this.buf);
    this.buf = "";
  }
}

/**
 * `tyrsim trace`: stream a JSON-lines log into a Perfetto-compatible trace at `outPath` (written
 * beside it as `<out>.partial`, renamed when complete). The log is read one event at a time; the
 * same log always gives a byte-identical file.
 */
export function writeTraceFile(logPath: string, outPath: string, opts: TraceFileOptions = {}): TraceFileResult {
  const reader = new JsonlLogReader(logPath);
  const partial = `${outPath}.partial`;
  const writer = new TraceJsonWriter(partial);
  try {
    const { header } = reader;
    const flowWindow = opts.flowWindow ?? DEFAULT_FLOW_WINDOW;
    const builder = createTraceBuilder((e) => writer.event(e), { header, compact: opts.compact ?? false, flowWindow });
    for (const e of reader) builder.push(e);
    const summary = builder.finish();
    writer.close({
      source: "tyrsim trace",
      tool: TOOL_VERSION,
      log: { run: header.run, seed: header.seed, model: header.model, scenario: header.scenario.file, tool: header.tool },
      ...summary,
      compact: opts.compact ?? false,
      flowWindow,
    });
    renameSync(partial, outPath);
    return { ...summary, out: outPath, run: header.run };
  } catch (e) {
    writer.abort();
    rmSync(partial, { force: true });
    throw e;
  } finally {
    void reader.close();
  }
}
