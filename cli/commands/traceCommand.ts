import { dirname, join } from "node:path";
import { writeTraceFile } from "../../trace/traceFile.ts";

/** Options of `tyrsim trace`. */
export interface TraceCommandOptions {
  readonly out?: string;
  readonly compact?: boolean;
  readonly json?: boolean;
}

/**
 * `tyrsim trace <log>`: write a Perfetto trace of a log (default `trace.json` beside it) and print
 * where it went and how many trace events it holds.
 */
export function traceCommand(log: string, opts: TraceCommandOptions): Promise<number> {
  const out = opts.out ?? join(dirname(log), "trace.json");
  const r = writeTraceFile(log, out, { compact: opts.compact ?? false });
  process.stdout.write(
    opts.json === true
      ? JSON.stringify(r, null, 2) + "\n"
      : [
          `trace of run ${r.run}: ${out}`,
          `  ${r.traceEvents} trace events (${r.causeFlows} cause flows) from ${r.logEvents} log events`,
          `  open it at https://ui.perfetto.dev ("Open trace file")`,
          "",
        ].join("\n"),
  );
  return Promise.resolve(0);
}
