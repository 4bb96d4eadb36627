import { assign, setup } from "xstate";

/** Why a boot stopped, as `FirmwareBootFailed` reports it. */
export interface BootFailure {
  readonly reason: "image-unmapped" | "bad-descriptor" | "shared-unmapped";
  readonly va: number;
  readonly exceptionName?: string;
}

/** What the MCU lifecycle needs from the firmware actor. */
export interface McuDeps {
  /** Ask the MMU to translate the image's boot VAs through AS0 (code, boot descriptor). */
  readonly fetchImage: () => void;
  /** Ask the MMU to translate the shared interface section the descriptor names. */
  readonly mapShared: () => void;
  readonly bootFailed: (f: BootFailure) => void;
  /** The MCU runs: interfaces written (unless `fast`, a restart from HALT), MCU_STATUS ENABLED, GLOBAL_IF raised. */
  readonly started: (fast: boolean) => void;
  /** GLB_HALT acknowledged: MCU_STATUS HALT, nothing runs. */
  readonly halted: () => void;
  /** MCU_CONTROL DISABLE: MCU_STATUS DISABLED, the firmware's runtime state is dropped. */
  readonly stopped: () => void;
  /** An injected crash: MCU_STATUS FATAL, halt_status PANIC. */
  readonly crashed: () => void;
  /** A GPU soft reset: drop everything (the register file zeroes MCU_STATUS itself). */
  readonly reset: () => void;
}

type McuEvent =
  | { type: "ENABLE" }
  | { type: "DISABLE" }
  | { type: "IMAGE_FOUND" }
  | { type: "SHARED_MAPPED" }
  | { type: "BOOT_FAILED"; failure: BootFailure }
  | { type: "HALT" }
  | { type: "CRASH" }
  | { type: "RESET" };

/**
 * The MCU's lifecycle, as panthor drives it (panthor.md §3.7–3.8; `panthor_fw_start()`,
 * `panthor_fw_halt()`/`panthor_fw_stop()`, `panthor_fw_post_reset()`):
 *
 * - `disabled` → (MCU_CONTROL ENABLE/AUTO) → `booting`: `fetchingImage` (the code and boot
 *   descriptor must translate through AS0), `mappingShared` (so must the interface section),
 *   `starting` (the assumed boot latency) → `running`. A failed translation or a corrupt
 *   descriptor ends the boot back in `disabled`: no MCU_STATUS change, no interrupt — the
 *   driver sees its boot timeout.
 * - `running` → (GLB_HALT acknowledged) → `halted` → (MCU_CONTROL ENABLE, panthor's fast reset)
 *   → `running` again with the interface state kept.
 * - `running` → (injected fault) → `crashed`: MCU_STATUS FATAL, deaf until a reset.
 * - MCU_CONTROL DISABLE stops it from any state; a GPU soft reset returns it to `disabled`.
 *
 * Simplified: no SLEEP state, no protected mode.
 */
export function createMcuMachine(bootNs: number, deps: McuDeps) {
  return setup({
    types: {} as { context: { fast: boolean }; events: McuEvent },
    actions: {
      fetchImage: () => deps.fetchImage(),
      mapShared: () => deps.mapShared(),
      bootFailed: ({ event }) => {
        if (event.type === "BOOT_FAILED") deps.bootFailed(event.failure);
      },
      coldStart: assign({ fast: false }),
      fastStart: assign({ fast: true }),
      started: ({ context }) => deps.started(context.fast),
      halted: () => deps.halted(),
      stopped: () => deps.stopped(),
      crashed: () => deps.crashed(),
      reset: () => deps.reset(),
    },
    delays: { BOOT: () => bootNs / 1_000_000 },
  }).createMachine({
    id: "mcu",
    context: { fast: false },
    initial: "disabled",
    on: { RESET: { target: ".disabled", actions: "reset" } },
    states: {
      disabled: { on: { ENABLE: "booting" } },
      booting: {
        initial: "fetchingImage",
        on: { BOOT_FAILED: { target: "disabled", actions: "bootFailed" }, DISABLE: "disabled" },
        states: {
          fetchingImage: { entry: "fetchImage", on: { IMAGE_FOUND: "mappingShared" } },
          mappingShared: { entry: "mapShared", on: { SHARED_MAPPED: "starting" } },
          starting: { after: { BOOT: { target: "#mcu.running", actions: "coldStart" } } },
        },
      },
      running: {
        entry: "started",
        on: { HALT: "halted", CRASH: "crashed", DISABLE: { target: "disabled", actions: "stopped" } },
      },
      halted: {
        entry: "halted",
        on: { ENABLE: { target: "running", actions: "fastStart" }, DISABLE: { target: "disabled", actions: "stopped" } },
      },
      crashed: { entry: "crashed", on: { DISABLE: { target: "disabled", actions: "stopped" } } },
    },
  });
}
