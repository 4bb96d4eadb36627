import type { HrTimer } from "../../shared/time/hrtimer.ts";
import type { CsClock } from "./cs/context.ts";
import type { StepResult } from "./cs/effects.ts";
import { runnable, step } from "./cs/interpreter.ts";
import { pickStream, type StreamCandidate } from "./csArbiter.ts";
import type { FwRuntime } from "./firmwareRuntime.ts";
import type { CsSlot } from "./firmwareState.ts";
import type { McuMemory } from "./mcuMemory.ts";

/** What the executor needs from the firmware: the streams that may run, and the commit of a slice. */
export interface ExecutorHost {
  /** Streams of running CSGs that are started, not parked and not held by a TILER_OOM. */
  readonly streams: () => readonly CsSlot[];
  /** CSG priority and AS of a stream's group. */
  readonly group: (cs: CsSlot) => { readonly priority: number; readonly as: number };
  /** Apply a slice: new state, memory writes, effects — at the virtual time the slice ends. */
  readonly commit: (cs: CsSlot, result: StepResult, session: McuMemory) => void;
}

/**
 * The MCU as one sequential command-stream executor. A slice runs one stream for up to
 * `sliceInstructions` instructions through the pure interpreter (`step`), then the MCU is busy
 * for `executed × instructionNs` of virtual time; only when that time has passed is the slice
 * committed — its memory writes, jobs, sync updates and faults published. Then arbitration
 * (`pickStream`) chooses the next slice. A slice that executes nothing (the stream blocked or
 * ran empty at once) commits immediately.
 *
 * Inputs for the stream of the slice in flight (a job done, a new CS_INSERT, a sync wake-up) are
 * deferred by the caller until the commit ({@link inFlight}).
 */
export class CsExecutor {
  private readonly timer: HrTimer;
  private flight: { cs: CsSlot; result: StepResult; session: McuMemory } | null = null;
  private armed = false;
  private serial = 0;
  /** Instructions executed since boot. */
  executed = 0;

  constructor(
    private readonly fw: FwRuntime,
    private readonly host: ExecutorHost,
  ) {
    this.timer = fw.ctx.timer("mcu-slice", () => {
      this.armed = false;
      fw.batch(() => this.run());
      return "norestart";
    });
  }

  /** Something may have become runnable: run a slice later in this instant (unless busy). */
  kick(): void {
    if (this.armed || this.flight !== null) return;
    this.armed = true;
    this.timer.start(0, "rel");
  }

  /** Whether `cs` has a slice in flight. */
  inFlight(cs: CsSlot): boolean {
    return this.flight?.cs === cs;
  }

  /** The stream was restarted, stopped or dropped: forget its slice in flight (its effects never happen). */
  abandon(cs: CsSlot): void {
    if (this.flight?.cs !== cs) return;
    this.stop();
    this.kick();
  }

  /** Drop the slice in flight and stop (MCU halted, disabled, crashed or reset). */
  stop(): void {
    this.timer.cancel();
    this.armed = false;
    this.flight = null;
  }

  private clock(): CsClock {
    const now = this.fw.ctx.nowNs();
    return { timestamp: Math.floor((now * this.fw.config.timestampHz) / 1e9), cycleCount: Math.floor((now * this.fw.config.gpuHz) / 1e9) };
  }

  private run(): void {
    const done = this.flight;
    this.flight = null;
    if (done !== null) this.host.commit(done.cs, done.result, done.session);
    const { sliceInstructions, instructionNs } = this.fw.config.timing;
    for (let quick = 0; quick < 256; quick++) {
      const cs = this.pick();
      if (cs === undefined || cs.state === null) return;
      const session = this.fw.session(this.host.group(cs).as);
      const result = step(cs.state, session, sliceInstructions, this.clock());
      cs.lastRun = ++this.serial;
      this.executed += result.executed;
      if (result.executed === 0) {
        this.host.commit(cs, result, session);
        if (cs.state !== null && runnable(cs.state) && result.effects.length === 0) cs.parked = true;
        continue;
      }
      this.flight = { cs, result, session };
      this.armed = true;
      this.timer.start(result.executed * instructionNs, "rel");
      return;
    }
    this.kick();
  }

  private pick(): CsSlot | undefined {
    const candidates: (StreamCandidate & { readonly slot: CsSlot })[] = [];
    for (const cs of this.host.streams()) {
      if (cs.state === null || !runnable(cs.state)) continue;
      candidates.push({ csg: cs.csg, cs: cs.index, csgPriority: this.host.group(cs).priority, csPriority: cs.priority, lastRun: cs.lastRun, slot: cs });
    }
    return pickStream(candidates)?.slot;
  }
}
