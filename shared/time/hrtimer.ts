/**
 * What an hrtimer handler returns, as `enum hrtimer_restart` in the kernel: `restart` keeps the
 * timer armed at the expiry the handler set (typically with `forward`), `norestart` ends it.
 */
export type HrTimerRestart = "norestart" | "restart";

/** Relative or absolute expiry, as `HRTIMER_MODE_REL` / `HRTIMER_MODE_ABS`. */
export type HrTimerMode = "rel" | "abs";

/** The services an hrtimer needs from the scheduler that owns time. */
export interface TimerBase {
  nowNs(): number;
  /** Arm `timer` to fire at `expiresNs`; the base calls `timer.expire(generation)` then. */
  enqueue(timer: HrTimer, expiresNs: number, generation: number): void;
}

/**
 * A virtual-time timer with the shape of the kernel's hrtimer: start (relative or absolute),
 * cancel, forward, and restart from its own handler. Cancelling or restarting invalidates the
 * previously queued expiry (a generation counter), so a stale expiry never fires.
 */
export class HrTimer {
  private generation = 0;
  private armed = false;
  private expires = 0;

  constructor(
    private readonly base: TimerBase,
    /** Name shown in logs and state dumps, e.g. `job-timeout`. */
    readonly name: string,
    private readonly handler: (timer: HrTimer) => HrTimerRestart,
  ) {}

  /** Is the timer queued? (`hrtimer_active`) */
  get active(): boolean {
    return this.armed;
  }

  /** Expiry in virtual ns (meaningful while active or inside the handler). */
  get expiresNs(): number {
    return this.expires;
  }

  /** Arm (or re-arm) the timer (`hrtimer_start`): `rel` counts from now, `abs` is a virtual time. */
  start(timeNs: number, mode: HrTimerMode = "rel"): void {
    const at = mode === "rel" ? this.base.nowNs() + timeNs : timeNs;
    this.expires = Math.max(at, this.base.nowNs());
    this.armed = true;
    this.base.enqueue(this, this.expires, ++this.generation);
  }

  /** Disarm (`hrtimer_cancel`); returns whether it was active. */
  cancel(): boolean {
    const was = this.armed;
    this.armed = false;
    this.generation++;
    return was;
  }

  /**
   * Move the expiry forward by whole intervals until it lies after now (`hrtimer_forward_now`);
   * returns the number of intervals skipped (overruns). Use from the handler, then return `restart`.
   */
  forward(intervalNs: number): number {
    if (intervalNs <= 0) throw new RangeError(`hrtimer ${this.name}: interval must be positive, got ${intervalNs}`);
    const now = this.base.nowNs();
    if (this.expires > now) return 0;
    const overruns = Math.floor((now - this.expires) / intervalNs) + 1;
    this.expires += overruns * intervalNs;
    return overruns;
  }

  /** Is the expiry queued with `generation` still the one that will fire? (False once cancelled or re-armed.) */
  isQueued(generation: number): boolean {
    return this.armed && generation === this.generation;
  }

  /** Called by the timer base when a queued expiry comes due; ignores stale generations. */
  expire(generation: number): void {
    if (!this.armed || generation !== this.generation) return;
    this.armed = false;
    const verdict = this.handler(this);
    if (verdict === "restart" && !this.armed) {
      this.armed = true;
      this.base.enqueue(this, Math.max(this.expires, this.base.nowNs()), ++this.generation);
    }
  }
}
