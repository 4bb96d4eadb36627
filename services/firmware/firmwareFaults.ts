import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { FaultBook, type TakenFault } from "../faults/faultBook.ts";
import { GpuSoftResetCompleted } from "../regs/regsEvents.ts";
import { FirmwareFaultInjected } from "./firmwareEvents.ts";

/** What the firmware's fault hooks act on. */
export interface FirmwareFaultDeps {
  /** The MCU executes (state `running`). */
  readonly running: () => boolean;
  /** Crash now (the MCU machine's CRASH), or stop answering pings. */
  readonly inject: (kind: "crash" | "ignore-ping") => void;
}

/** The firmware's injected faults (see {@link createFirmwareFaults}); the hooks are called by the firmware's modules. */
export interface FirmwareFaults {
  /** Take a `FaultInjected` or a legacy `FirmwareFaultInjected`, fire triggers; call before handling `e`. */
  offer(e: Envelope): void;
  /** The MCU just started running (`mcuBoot.ts`): a crash waiting for it happens now. */
  started(): void;
  /** A GLB_PING is being left unacknowledged (`glbControl.ts`): report the fault, before the `GlbRequestsIgnored`. */
  pingIgnored(): void;
  snapshot(): unknown;
}

/**
 * The faults the MCU firmware applies (`gpu<N>.fw`): `firmware-crash` — the MCU crashes at once
 * if it runs, else as soon as it runs (MCU_STATUS FATAL, halt_status PANIC, deaf until a reset);
 * `firmware-ping-ignored` — GLB_PING is no longer acknowledged until a reset, reported when the
 * first ping goes unanswered. The older `FirmwareFaultInjected` acts as before (a crash only when
 * running) and is reported the same way.
 */
export function createFirmwareFaults(ctx: ActorContext, gpu: number, deps: FirmwareFaultDeps): FirmwareFaults {
  const book = new FaultBook(ctx, gpu, "fw");
  let pendingCrash: string | undefined;
  let pingFault: string | undefined;

  const crash = (id: string) => {
    book.applied(id, "firmware-crash", "MCU firmware panics");
    deps.inject("crash");
  };
  const act = (f: TakenFault) => {
    if (f.fault.kind === "firmware-crash") {
      if (deps.running()) return crash(f.id);
      pendingCrash = f.id;
      if (f.trigger === undefined) book.armed(f, "the MCU running");
    } else if (f.fault.kind === "firmware-ping-ignored") {
      pingFault = f.id;
      deps.inject("ignore-ping");
      if (f.trigger === undefined) book.armed(f, "the next GLB_PING");
    }
  };

  return {
    offer(e) {
      if (EventRegistry.is(GpuSoftResetCompleted, e)) pingFault = undefined;
      if (EventRegistry.is(FirmwareFaultInjected, e) && e.payload.gpu === gpu) {
        if (e.payload.kind === "ignore-ping") pingFault = e.id;
        else if (deps.running()) book.applied(e.id, "firmware-crash", "MCU firmware panics");
      }
      const now = book.take(e);
      if (now !== undefined) act(now);
      for (const f of book.fired(e)) act(f);
    },
    started() {
      const id = pendingCrash;
      pendingCrash = undefined;
      if (id !== undefined) crash(id);
    },
    pingIgnored() {
      if (pingFault !== undefined) book.applied(pingFault, "firmware-ping-ignored", "GLB_PING left unacknowledged");
    },
    snapshot: () => ({ waiting: book.snapshot(), pendingCrash: pendingCrash !== undefined, pingsIgnored: pingFault !== undefined }),
  };
}
