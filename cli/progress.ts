import cliProgress from "cli-progress";
import { formatNs } from "../shared/scenario/duration.ts";

/** A progress reporter for long runs and replays: a bar on a terminal, silence in CI or a pipe. */
export interface Progress {
  update(timeNs: number, events: number): void;
  stop(): void;
}

/** Is a progress bar wanted? Only on an interactive terminal, never in CI. */
export function wantsProgress(): boolean {
  return process.stderr.isTTY === true && process.env["CI"] === undefined;
}

/** A bar over virtual time up to `totalNs` (or a no-op when not wanted). */
export function createProgress(label: string, totalNs: number): Progress {
  if (!wantsProgress()) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {vt} virtual | {events} events`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalNs, 0, { vt: formatNs(0), events: 0 });
  return {
    update(timeNs, events) {
      bar.update(timeNs, { vt: formatNs(timeNs), events });
    },
    stop() {
      bar.stop();
    },
  };
}
