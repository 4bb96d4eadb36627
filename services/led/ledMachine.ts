import { setup } from "xstate";

/** Events of the LED driver's lifecycle machine. */
export type LedLifecycleEvent = { type: "BIND" } | { type: "PROBED" } | { type: "WRITE" } | { type: "WRITTEN" } | { type: "DEADLOCK" };

/**
 * The LED driver's device and character-device state: `unbound` until the platform bus binds it,
 * `probing` while `led_probe()` runs, then `registered` — `/dev/led` exists — where the char
 * device is `idle` or inside a `writing` write() (holding the lock while the LED latches). A
 * self-deadlock on the lock ends in `wedged`: the CPU spins with interrupts off and nothing of
 * the driver ever runs again (only a reboot leaves it). A second bind is ignored, as the driver
 * core never probes one device twice.
 */
export const ledLifecycleMachine = setup({
  types: {} as { events: LedLifecycleEvent },
}).createMachine({
  id: "led",
  initial: "unbound",
  states: {
    unbound: { on: { BIND: "probing" } },
    probing: { on: { PROBED: "registered" } },
    registered: {
      initial: "idle",
      on: { DEADLOCK: "wedged" },
      states: {
        idle: { on: { WRITE: "writing" } },
        writing: { on: { WRITTEN: "idle" } },
      },
    },
    wedged: {},
  },
});
