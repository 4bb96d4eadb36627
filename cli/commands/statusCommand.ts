import { RunStatusSchema, type RunStatus } from "../../runtime/multiprocess/protocol.ts";

/** Options of `tyrsim status`. */
export interface StatusOptions {
  readonly nats: string;
  readonly run?: string;
  readonly watch?: boolean;
  readonly timeout: number;
  readonly json?: boolean;
}

/** "3.2 s ago" from two wall-clock times in ms. */
function ago(nowMs: number, thenMs: number): string {
  const s = Math.max(0, nowMs - thenMs) / 1000;
  return s < 60 ? `${s.toFixed(1)} s ago` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s ago`;
}

/** A report as a person reads it: run, phase, virtual time, events, then one line per service. */
export function formatStatus(s: RunStatus): string {
  const lines = [
    `run:          ${s.run} (${s.phase})`,
    `virtual time: ${(s.virtualTimeNs / 1e6).toFixed(3)} ms (${s.virtualTimeNs} ns)`,
    `events:       ${s.eventsLogged} logged, ${s.eventsPerSecond} events/s`,
    `waiting for:  ${s.waitingFor.length > 0 ? s.waitingFor.join(", ") : "nobody"}`,
    "services:",
    ...s.services.map((v) => `  ${v.service.padEnd(12)} ${v.state.padEnd(8)} since ${ago(s.atMs, v.sinceMs)}`),
  ];
  return lines.join("\n") + "\n";
}

/**
 * `tyrsim status`: read the coordinator's status reports (`tyrsim.<run>.ctl.status`, one a
 * second) of a live multi-process run and print the first one (or each one with --watch, until
 * the run finishes). Exit 1 when no run reports within the timeout. Needs only subscribe
 * permission (the `auditor` user of deploy/nats/tyrsim.conf is enough).
 */
export async function statusCommand(opts: StatusOptions): Promise<number> {
  const { connectNatsTransport } = await import("../../shared/bus/natsTransport.ts");
  const transport = await connectNatsTransport({ servers: opts.nats, name: "tyrsim-status", waitOnFirstConnect: false });
  const subject = `tyrsim.${opts.run ?? "*"}.ctl.status`;
  const decoder = new TextDecoder();
  const print = (s: RunStatus) => process.stdout.write(opts.json === true ? JSON.stringify(s) + "\n" : formatStatus(s) + (opts.watch === true ? "\n" : ""));
  const got = await new Promise<boolean>((resolve) => {
    let timer = setTimeout(() => finish(false), opts.timeout);
    const sub = transport.subscribe(subject).subscribe((m) => {
      const parsed = RunStatusSchema.safeParse(JSON.parse(typeof m.data === "string" ? m.data : decoder.decode(m.data as Uint8Array)));
      if (!parsed.success) return;
      print(parsed.data);
      if (opts.watch !== true || parsed.data.phase === "finished") return finish(true);
      clearTimeout(timer);
      timer = setTimeout(() => finish(true), opts.timeout);
    });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sub.unsubscribe();
      resolve(ok);
    };
    process.once("SIGINT", () => finish(true));
  });
  await transport.close();
  if (!got) process.stderr.write(`tyrsim status: no status report on ${subject} at ${opts.nats} within ${opts.timeout} ms: is a multi-process run (tyrsim up / coordinate) under way?\n`);
  return got ? 0 : 1;
}
