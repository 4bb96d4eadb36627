import { setup } from "xstate";
import type { CsgStateRequest } from "./csgRequests.ts";

/** The states a CSG slot reports (`CsgStateChanged.state`). */
export type CsgSlotState = "running" | "suspended" | "terminated";

/**
 * What a CSG slot machine needs from the firmware actor. One machine definition serves every
 * slot (definitions are built once, outside any action, as XState expects), so each callback
 * gets the running machine (`self`) to tell which slot it is.
 */
export interface CsgSlotDeps {
  /** The slot changed state on `request`: load (START), keep (RESUME/SUSPEND) or drop (TERMINATE) its streams. */
  readonly entered: (self: unknown, state: CsgSlotState, request: CsgStateRequest) => void;
  /** The idle hysteresis elapsed with every stream idle: CSG IDLE event, status_state IS_IDLE. */
  readonly idleReported: (self: unknown) => void;
  /** Work arrived after an IDLE report: IS_IDLE cleared. */
  readonly busyAgain: (self: unknown) => void;
  /** Jobs were outstanding for the whole progress timeout without one finishing. */
  readonly progressTimedOut: (self: unknown) => void;
  /** The idle hysteresis in force (GLB idle_timer), ns. */
  readonly idleNs: () => number;
  /** The progress timeout in force (GLB progress_timer), ns; 0 disables it. */
  readonly progressNs: () => number;
}

type CsgEvent =
  | { type: "REQUEST"; state: CsgStateRequest }
  | { type: "ACTIVITY"; idle: boolean }
  | { type: "JOBS"; outstanding: boolean }
  | { type: "PROGRESS" }
  | { type: "RESET" };

type Params = { state: CsgSlotState; request: CsgStateRequest };
const go = (state: CsgSlotState, request: CsgStateRequest, reenter = false) => ({
  target: `#csg.${state}`,
  reenter,
  actions: { type: "entered" as const, params: { state, request } },
});

/**
 * One CSG slot as the firmware runs it (panthor.md §3.5; `csg_slot_prog_locked()`,
 * `tick_ctx_apply()` request the transitions):
 *
 * - `terminated` (empty slot) → START → `running`; `running` → SUSPEND → `suspended` → RESUME →
 *   `running`; TERMINATE from anywhere → `terminated`; START on a running or suspended slot
 *   restarts it with fresh streams. Requests that change nothing are still acknowledged.
 * - While running, region `activity`: `active` → (every stream idle) → `idleWaiting` for the
 *   GLB idle hysteresis → `idle` (CSG IDLE raised) → (work) → `active`.
 * - Region `progress`: `quiet` → (jobs outstanding on the cores) → `watching`; a finished job
 *   restarts the watch; the progress timeout elapsing reports PROGRESS_TIMER_EVENT (`stalled`).
 *
 * Simplified: the progress timer watches endpoint jobs only (not a stream stuck in SYNC_WAIT),
 * in virtual time at the initial GPU clock; suspend keeps the streams' state in the firmware
 * (no bytes are written to the suspend buffer).
 */
export function createCsgSlotMachine(deps: CsgSlotDeps) {
  return setup({
    types: {} as { events: CsgEvent },
    guards: {
      becameIdle: ({ event }) => event.type === "ACTIVITY" && event.idle,
      becameBusy: ({ event }) => event.type === "ACTIVITY" && !event.idle,
      jobsOutstanding: ({ event }) => event.type === "JOBS" && event.outstanding,
      jobsDone: ({ event }) => event.type === "JOBS" && !event.outstanding,
      progressEnabled: () => deps.progressNs() > 0,
      requests: ({ event }, params: { state: CsgStateRequest }) => event.type === "REQUEST" && event.state === params.state,
    },
    actions: {
      entered: ({ self }, p: Params) => deps.entered(self, p.state, p.request),
      idleReported: ({ self }) => deps.idleReported(self),
      busyAgain: ({ self }) => deps.busyAgain(self),
      progressTimedOut: ({ self }) => deps.progressTimedOut(self),
    },
    delays: {
      IDLE_HYSTERESIS: () => deps.idleNs() / 1_000_000,
      PROGRESS_TIMEOUT: () => Math.max(deps.progressNs(), 1) / 1_000_000,
    },
  }).createMachine({
    id: "csg",
    initial: "terminated",
    on: { RESET: ".terminated" },
    states: {
      terminated: {
        on: {
          REQUEST: [
            { guard: { type: "requests", params: { state: "START" } }, ...go("running", "START") },
            { guard: { type: "requests", params: { state: "RESUME" } }, ...go("running", "RESUME") },
          ],
        },
      },
      running: {
        type: "parallel",
        on: {
          REQUEST: [
            { guard: { type: "requests", params: { state: "START" } }, ...go("running", "START", true) },
            { guard: { type: "requests", params: { state: "SUSPEND" } }, ...go("suspended", "SUSPEND") },
            { guard: { type: "requests", params: { state: "TERMINATE" } }, ...go("terminated", "TERMINATE") },
          ],
        },
        states: {
          activity: {
            initial: "active",
            states: {
              active: { on: { ACTIVITY: { guard: "becameIdle", target: "idleWaiting" } } },
              idleWaiting: {
                on: { ACTIVITY: { guard: "becameBusy", target: "active" } },
                after: { IDLE_HYSTERESIS: { target: "idle", actions: "idleReported" } },
              },
              idle: { on: { ACTIVITY: { guard: "becameBusy", target: "active", actions: "busyAgain" } } },
            },
          },
          progress: {
            initial: "quiet",
            states: {
              quiet: { on: { JOBS: { guard: "jobsOutstanding", target: "watching" } } },
              watching: {
                on: { JOBS: { guard: "jobsDone", target: "quiet" }, PROGRESS: { target: "watching", reenter: true } },
                after: { PROGRESS_TIMEOUT: { guard: "progressEnabled", target: "stalled", actions: "progressTimedOut" } },
              },
              stalled: { on: { JOBS: { guard: "jobsDone", target: "quiet" }, PROGRESS: "watching" } },
            },
          },
        },
      },
      suspended: {
        on: {
          REQUEST: [
            { guard: { type: "requests", params: { state: "START" } }, ...go("running", "START") },
            { guard: { type: "requests", params: { state: "RESUME" } }, ...go("running", "RESUME") },
            { guard: { type: "requests", params: { state: "TERMINATE" } }, ...go("terminated", "TERMINATE") },
          ],
        },
      },
    },
  });
}
