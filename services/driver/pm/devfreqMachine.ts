import { setup } from "xstate";

/** What the devfreq machine asks of its shell. */
export interface DevfreqMachineDeps {
  /** Run one `devfreq_monitor()` pass; the shell sends `UPDATED` when it is over. */
  readonly startUpdate: () => void;
  /** `panthor_devfreq_reset()`: the busy/idle counters restart now. */
  readonly resetCounters: () => void;
}

/** Events of the devfreq machine. */
export type DevfreqMachineEvent = { type: "UPDATED" } | { type: "SUSPEND" } | { type: "RESUME" };

/**
 * The devfreq device's monitor (drivers/devfreq/devfreq.c, `DEVFREQ_TIMER_DELAYED`):
 *
 * - `monitoring.waiting` — the delayed work is queued `polling_ms` ahead (`queue_delayed_work`);
 * - `monitoring.updating` — `devfreq_monitor()` runs `update_devfreq()` (a kernel task that asks
 *   the shader cores for their utilisation and may switch the OPP); when it returns the work is
 *   queued again, so a period is `polling_ms` plus the update's own time;
 * - `stopping` — `devfreq_suspend_device()` → `devfreq_monitor_suspend()` came during an update:
 *   `cancel_delayed_work_sync()` waits for it to end;
 * - `suspended` — no polling until `devfreq_resume_device()`, which resets the counters
 *   (`panthor_devfreq_resume()`) and queues the work `polling_ms` ahead again.
 */
export function createDevfreqMachine(pollingNs: number, deps: DevfreqMachineDeps) {
  return setup({
    types: {} as { events: DevfreqMachineEvent },
    actions: {
      startUpdate: () => deps.startUpdate(),
      resetCounters: () => deps.resetCounters(),
    },
    delays: { POLLING: pollingNs / 1_000_000 },
  }).createMachine({
    id: "devfreq",
    initial: "monitoring",
    states: {
      monitoring: {
        initial: "waiting",
        states: {
          waiting: {
            after: { POLLING: "updating" },
            on: { SUSPEND: "#devfreq.suspended" },
          },
          updating: {
            entry: "startUpdate",
            on: { UPDATED: "waiting", SUSPEND: "#devfreq.stopping" },
          },
        },
      },
      stopping: { on: { UPDATED: "suspended" } },
      suspended: { on: { RESUME: { target: "monitoring", actions: "resetCounters" } } },
    },
  });
}
