import { assign, setup, stateIn } from "xstate";

/** What the doorbell handler needs from the firmware actor. */
export interface DoorbellDeps {
  /** Re-read the interfaces behind these doorbells (0 = global, n + 1 = CSG slot n) and answer them. */
  readonly handle: (doorbells: readonly number[], ignorePings: boolean) => void;
}

type DoorbellEvent = { type: "RING"; doorbell: number } | { type: "STOP" } | { type: "IGNORE_PINGS" } | { type: "RESET" };

const add = (list: readonly number[], d: number): number[] => (list.includes(d) ? [...list] : [...list, d].sort((a, b) => a - b));

/**
 * The firmware's doorbell interrupt handling — how the request/acknowledge protocol of the
 * interfaces is paced (panthor.md §2.4, §3.3). Region `requests`: a doorbell in `idle` starts a
 * pass that takes the assumed request latency (interrupt entry and interface scan); every
 * doorbell rung until the pass runs joins it, so a request made while a previous one is still
 * pending is answered by the pass already due, and a doorbell rung twice counts once. The pass
 * handles the global doorbell first, then the queue doorbells in order. Region `pings`:
 * `answered`, or `ignored` after an injected fault — the handler then leaves GLB_PING
 * unacknowledged (panthor's watchdog fires 100 ms later).
 */
export function createDoorbellMachine(requestNs: number, deps: DoorbellDeps) {
  return setup({
    types: {} as { context: { rung: number[] }; events: DoorbellEvent },
    guards: { pingsIgnored: stateIn({ pings: "ignored" }) },
    actions: {
      takeRing: assign(({ context, event }) => (event.type === "RING" ? { rung: add(context.rung, event.doorbell) } : {})),
      handle: ({ context }, params: { ignorePings: boolean }) => deps.handle(context.rung, params.ignorePings),
      clear: assign({ rung: [] }),
    },
    delays: { REQUEST: () => requestNs / 1_000_000 },
  }).createMachine({
    id: "doorbells",
    type: "parallel",
    context: { rung: [] },
    on: { RESET: { target: [".requests.idle", ".pings.answered"], actions: "clear" } },
    states: {
      requests: {
        initial: "idle",
        on: { STOP: { target: ".idle", actions: "clear" } },
        states: {
          idle: { on: { RING: { target: "handling", actions: "takeRing" } } },
          handling: {
            on: { RING: { actions: "takeRing" } },
            after: {
              REQUEST: [
                { guard: "pingsIgnored", target: "idle", actions: [{ type: "handle", params: { ignorePings: true } }, "clear"] },
                { target: "idle", actions: [{ type: "handle", params: { ignorePings: false } }, "clear"] },
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
