import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { FaultBook, type TakenFault } from "../faults/faultBook.ts";
import type { IrqLine } from "./regsEvents.ts";

/** How the register file's fault hooks reach its state. */
export interface RegsFaultDeps {
  /** Set raw interrupt bits (inside the actor's IRQ-level bookkeeping). */
  readonly raise: (line: IrqLine, bits: number) => void;
}

/** The register file's injected faults (see {@link createRegsFaults}). */
export interface RegsFaults {
  /** Take a `FaultInjected` and fire the triggers `e` completes; call before handling `e` itself. */
  offer(e: Envelope): void;
  /** A line changed level: false when the change must not be published (a lost assertion and its deassertion). */
  publishLevel(line: IrqLine, asserted: boolean, status: number): boolean;
  /** A SOFT_RESET is about to start: true when a `reset-stuck` fault takes it (and was reported). */
  resetSticks(): boolean;
  snapshot(): unknown;
}

/**
 * The faults the register file applies (`gpu<N>.regs`): `irq-lost` — the next assertion of a
 * line is not published, so the CPU never sees it (RAWSTAT keeps the bits; the deassertion that
 * follows is hidden too); `irq-spurious` — raw bits nobody raised are set; `reset-stuck` — the
 * next GPU_CMD SOFT_RESET never completes (`gpuControlMachine.ts`, state `stuck`).
 */
export function createRegsFaults(ctx: ActorContext, gpu: number, deps: RegsFaultDeps): RegsFaults {
  const book = new FaultBook(ctx, gpu, "regs");
  const lost = new Map<IrqLine, string>();
  const hidden = new Set<IrqLine>();
  let resetStuck: string | undefined;

  /** Act on a fault now due; one that waited for a trigger was already reported armed. */
  const act = (f: TakenFault): void => {
    const fault = f.fault;
    const wait = (what: string) => {
      if (f.trigger === undefined) book.armed(f, what);
    };
    if (fault.kind === "irq-lost") {
      lost.set(fault.line, f.id);
      wait(`the next assertion of the ${fault.line} line`);
    } else if (fault.kind === "irq-spurious") {
      book.applied(f.id, fault.kind, `${fault.line.toUpperCase()}_INT_RAWSTAT |= 0x${fault.bits.toString(16)} (raised by no block)`);
      deps.raise(fault.line, fault.bits);
    } else if (fault.kind === "reset-stuck") {
      resetStuck = f.id;
      wait("the next GPU_CMD SOFT_RESET");
    }
  };

  return {
    offer(e) {
      const now = book.take(e);
      if (now !== undefined) act(now);
      for (const f of book.fired(e)) act(f);
    },
    publishLevel(line, asserted, status) {
      const fault = lost.get(line);
      if (asserted && fault !== undefined) {
        lost.delete(line);
        hidden.add(line);
        book.applied(fault, "irq-lost", `${line} line assertion lost (INT_STAT 0x${status.toString(16)})`);
        return false;
      }
      if (!asserted && hidden.delete(line)) return false;
      return true;
    },
    resetSticks() {
      if (resetStuck === undefined) return false;
      book.applied(resetStuck, "reset-stuck", "GPU_CMD SOFT_RESET accepted; it will never complete");
      resetStuck = undefined;
      return true;
    },
    snapshot: () => ({
      waiting: book.snapshot(),
      lost: [...lost.keys()],
      hidden: [...hidden],
      resetStuck: resetStuck !== undefined,
    }),
  };
}
