import { setup, stateIn } from "xstate";

/** What the doorbell handler needs from the firmware actor. */
export interface DoorbellDeps {
  /** One pass: re-read the interfaces behind the doorbells rung since the last pass ({@link RungDoorbells.take}) and answer them. */
  readonly handle: (ignorePings: boolean) => void;
  /** Forget the doorbells rung (the MCU stopped or the GPU was reset before the pass). */
  readonly forget: () => void;
}

type DoorbellEvent = { type: "RING" } | { type: "STOP" } | { type: "IGNORE_PINGS" } | { type: "RESET" };

/**
 * The doorbells rung and not yet handled (0 = global, n + 1 = CSG slot n), ascending, each once:
 * data beside the doorbell machine. Only the first doorbell after a pass needs the machine
 * (`RING` starts the next pass); later ones join the pass already due without a transition.
 */
export class RungDoorbells {
  private rung: number[] = [];

  /** Note a rung doorbell; true when it is the first since the last pass, so the machine must be sent `RING`. */
  ring(doorbell: number): boolean {
    const first = this.rung.length === 0;
    if (!this.rung.includes(doorbell)) {
      this.rung.push(doorbell);
      this.rung.sort((a, b) => a - b);
    }
    return first;
  }

  /** The doorbells of the pass now running, forgotten here (a doorbell rung during the pass starts the next one). */
  take(): readonly number[] {
    const bells = this.rung;
    this.rung = [];
    return bells;
  }

  /** Forget every doorbell rung. */
  clear(): void {
    this.rung = [];
  }
}

/**
 * The firmware's doorbell interrupt handling — how the request/acknowledge protocol of the
 * interfaces is paced (panthor.md §2.4, §3.3). Region `requests`: a doorbell in `idle` starts a
 * pass that takes the assumed request latency (interrupt entry and interface scan); every
 * doorbell rung until the pass runs joins it (kept in {@link RungDoorbells}), so a request made
 * while a previous one is still pending is answered by the pass already due, and a doorbell rung
 * twice counts once. The pass handles the global doorbell first, then the queue doorbells in
 * order. Region `pings`: `answered`, or `ignored` after an injected fault — the handler then
 * leaves GLB_PING unacknowledged (panthor's watchdog fires 100 ms later).
 */
export function createDoorbellMachine(requestNs: number, deps: DoorbellDeps) {
  return setup({
    types: {} as { events: DoorbellEvent },
    guards: { pingsIgnored: stateIn({ pings: "ignored" }) },
    actions: {
      handle: (_, params: { ignorePings: boolean }) => deps.handle(params.ignorePings),
      forget: () => deps.forget(),
    },
    delays: { REQUEST: () => requestNs / 1_000_000 },
  }).createMachine({
    id: "doorbells",
    type: "parallel",
    on: { RESET: { target: [".requests.idle", ".pings.answered"], actions: "forget" } },
    states: {
      requests: {
        initial: "idle",
        on: { STOP: { target: ".idle", actions: "forget" } },
        states: {
          idle: { on: { RING: "handling" } },
          handling: {
            after: {
              REQUEST: [
                { guard: "pingsIgnored", target: "idle", actions: { type: "handle", params: { ignorePings: true } } },
                { target: "idle", actions: { type: "handle", params: { ignorePings: false } } },
              ],
            },
          },
        },
      },
      pings: {
        initial: "answered",
        states: {
          answered: { on: { IGNORE_PINGS: "ignored" } },
          ignored: {},
        },
      },
    },
  });
}
