import { exportRunToFile, importFileToRun } from "../../shared/log/jetstreamExport.ts";

/** Options of `tyrsim export`. */
export interface ExportOptions {
  readonly nats: string;
  readonly out?: string;
  readonly import?: string;
}

/**
 * `tyrsim export <run> --nats URL [-o file]` copies a run's log out of JetStream into a JSON-lines
 * file (default `runs/<run>/events.jsonl`); `tyrsim export --import file --nats URL` copies a file
 * into JetStream, replacing an earlier record of that run.
 */
export async function exportCommand(run: string | undefined, opts: ExportOptions): Promise<number> {
  if (opts.import !== undefined) {
    const r = await importFileToRun(opts.nats, opts.import, `i${process.pid.toString(36)}${Math.floor(performance.now()).toString(36)}`);
    process.stdout.write(`imported ${r.events} events of run ${r.run} into JetStream at ${opts.nats}\n`);
    return 0;
  }
  if (run === undefined) throw new Error("export needs a run id (or --import FILE)");
  const out = opts.out ?? `runs/${run}/events.jsonl`;
  const r = await exportRunToFile(opts.nats, run, out);
  process.stdout.write(`exported ${r.events} events of run ${run} to ${out}\n  digest: ${r.digest}\n`);
  return 0;
}
