import { describe, expect, it } from "vitest";
import { HrTimer, type HrTimerRestart, type TimerBase } from "./hrtimer.ts";
import { Scheduler } from "./scheduler.ts";

/**
 * The smallest timer base: expiries go on a Scheduler, as HostedActor does. `latencyNs` delays every
 * expiry past its due time, modelling a handler that runs late (interrupt latency).
 */
class SchedulerTimerBase implements TimerBase {
  readonly scheduler = new Scheduler();
  private n = 0;
  constructor(private readonly latencyNs = 0) {}
  nowNs(): number {
    return this.scheduler.nowNs;
  }
  enqueue(timer: HrTimer, expiresNs: number, generation: number): void {
    this.scheduler.schedule({ timeNs: expiresNs + this.latencyNs, depth: 0, source: "timers", n: this.n++, fire: () => timer.expire(generation) });
  }
  runUntil(limitNs = Number.POSITIVE_INFINITY): void {
    while (this.scheduler.step(limitNs));
  }
}

/** A timer whose handler records the virtual time of every expiry. */
function recordingTimer(base: SchedulerTimerBase, name: string, verdict: (t: HrTimer) => HrTimerRestart = () => "norestart") {
  const firedAt: number[] = [];
  const timer = new HrTimer(base, name, (t) => {
    firedAt.push(base.nowNs());
    return verdict(t);
  });
  return { timer, firedAt };
}

describe("HrTimer", () => {
  it("is inactive until started, and keeps its name", () => {
    const base = new SchedulerTimerBase();
    const { timer } = recordingTimer(base, "job-timeout");
    expect(timer.active).toBe(false);
    expect(timer.name).toBe("job-timeout");
  });

  it("fires once, a relative interval after the time it was started", () => {
    // given time at 1000 and a timer started for 250 ns relative
    const base = new SchedulerTimerBase();
    base.scheduler.advanceTo(1000);
    const { timer, firedAt } = recordingTimer(base, "rel");
    timer.start(250);
    expect(timer.active).toBe(true);
    expect(timer.expiresNs).toBe(1250);
    // when time runs
    base.runUntil();
    // then it fired at 1250 and is no longer active
    expect(firedAt).toEqual([1250]);
    expect(timer.active).toBe(false);
  });

  it("fires at an absolute virtual time in abs mode", () => {
    const base = new SchedulerTimerBase();
    base.scheduler.advanceTo(1000);
    const { timer, firedAt } = recordingTimer(base, "abs");
    timer.start(4000, "abs");
    expect(timer.expiresNs).toBe(4000);
    base.runUntil();
    expect(firedAt).toEqual([4000]);
  });

  it("fires immediately when started at an absolute time already past", () => {
    const base = new SchedulerTimerBase();
    base.scheduler.advanceTo(1000);
    const { timer, firedAt } = recordingTimer(base, "past");
    timer.start(10, "abs");
    expect(timer.expiresNs).toBe(1000);
    base.runUntil();
    expect(firedAt).toEqual([1000]);
  });

  it("does not fire before its expiry", () => {
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "not-yet");
    timer.start(500);
    base.runUntil(499);
    expect(firedAt).toEqual([]);
    expect(timer.active).toBe(true);
  });

  it("cancel returns true for an active timer, and the expiry never fires", () => {
    // given an armed timer
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "cancelled");
    timer.start(100);
    // when it is cancelled before expiry
    expect(timer.cancel()).toBe(true);
    base.runUntil();
    // then the stale expiry was ignored
    expect(firedAt).toEqual([]);
    expect(timer.active).toBe(false);
  });

  it("cancel returns false for a timer that is not active, before start and after expiry", () => {
    const base = new SchedulerTimerBase();
    const { timer } = recordingTimer(base, "idle");
    expect(timer.cancel()).toBe(false);
    timer.start(10);
    base.runUntil();
    expect(timer.cancel()).toBe(false);
    expect(timer.cancel()).toBe(false);
  });

  it("can be started again after a cancel, and fires only at the new expiry", () => {
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "cancel-restart");
    timer.start(100);
    timer.cancel();
    timer.start(300);
    base.runUntil();
    expect(firedAt).toEqual([300]);
  });

  it("starting an armed timer again replaces its expiry: only the new one fires", () => {
    // given a timer armed for 100, then re-armed for 300 and for 50
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "rearm");
    timer.start(100);
    timer.start(300);
    expect(firedAt).toEqual([]);
    // when time runs past all of them
    base.runUntil();
    // then only the last start's expiry fired
    expect(firedAt).toEqual([300]);

    const early = recordingTimer(base, "rearm-earlier");
    early.timer.start(100);
    early.timer.start(50);
    base.runUntil();
    expect(early.firedAt).toEqual([350]);
  });

  it("fires a periodic timer at exact multiples of its interval with forward + restart", () => {
    // given a 1 ms periodic timer that forwards itself from its handler
    const base = new SchedulerTimerBase();
    const overruns: number[] = [];
    const { timer, firedAt } = recordingTimer(base, "tick", (t) => {
      overruns.push(t.forward(1_000_000));
      return "restart";
    });
    timer.start(1_000_000);
    // when 10 ms of virtual time pass
    base.runUntil(10_000_000);
    // then it fired at 1, 2, ..., 10 ms, one interval each time, and is still armed for 11 ms
    expect(firedAt).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1_000_000));
    expect(overruns).toEqual(Array.from({ length: 10 }, () => 1));
    expect(timer.active).toBe(true);
    expect(timer.expiresNs).toBe(11_000_000);
    // and cancelling stops the period
    expect(timer.cancel()).toBe(true);
    base.runUntil();
    expect(firedAt).toHaveLength(10);
  });

  it("forward returns the overruns when the handler ran late, and keeps the period's phase", () => {
    // given a 100 ns periodic timer whose expiries are handled 250 ns late
    const base = new SchedulerTimerBase(250);
    const overruns: number[] = [];
    const expiries: number[] = [];
    const { timer, firedAt } = recordingTimer(base, "late", (t) => {
      overruns.push(t.forward(100));
      expiries.push(t.expiresNs);
      return firedAt.length < 3 ? "restart" : "norestart";
    });
    timer.start(100, "abs");
    // when it runs
    base.runUntil();
    // then the first handler at 350 skipped 100, 200, 300 and re-armed for 400
    expect(firedAt).toEqual([350, 650, 950]);
    expect(overruns).toEqual([3, 3, 3]);
    expect(expiries).toEqual([400, 700, 1000]);
  });

  it("forward counts the intervals skipped while the timer was not handled", () => {
    // given a timer that expired at 100 but is forwarded at 1000
    const base = new SchedulerTimerBase();
    const timer = new HrTimer(base, "manual", () => "norestart");
    timer.start(100, "abs");
    base.scheduler.advanceTo(1000);
    // then forwarding by 300 skips 100→400→700→1000→1300: four intervals
    expect(timer.forward(300)).toBe(4);
    expect(timer.expiresNs).toBe(1300);
    // and forwarding an expiry that already lies in the future does nothing
    expect(timer.forward(300)).toBe(0);
    expect(timer.expiresNs).toBe(1300);
  });

  it("forward rejects a zero or negative interval with a RangeError naming the timer", () => {
    const base = new SchedulerTimerBase();
    const timer = new HrTimer(base, "gpu0.pwr/poll", () => "norestart");
    expect(() => timer.forward(0)).toThrow(RangeError);
    expect(() => timer.forward(-5)).toThrow(/gpu0\.pwr\/poll.*-5/);
  });

  it("can be restarted from within its own handler by calling start", () => {
    // given a handler that re-arms the timer for 70 ns later, three times
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "self-start", (t) => {
      if (firedAt.length < 3) t.start(70);
      return "norestart";
    });
    timer.start(10);
    // when it runs
    base.runUntil();
    // then each start from the handler produced exactly one more expiry
    expect(firedAt).toEqual([10, 80, 150]);
    expect(timer.active).toBe(false);
  });

  it("fires once when the handler both calls start and returns restart", () => {
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "start-and-restart", (t) => {
      if (firedAt.length < 3) {
        t.start(40);
        return "restart";
      }
      return "norestart";
    });
    timer.start(10);
    base.runUntil();
    expect(firedAt).toEqual([10, 50, 90]);
  });

  it("stays inactive after a handler returns norestart", () => {
    const base = new SchedulerTimerBase();
    const { timer, firedAt } = recordingTimer(base, "once");
    timer.start(5);
    base.runUntil();
    expect(firedAt).toEqual([5]);
    expect(timer.active).toBe(false);
    expect(base.scheduler.pending).toBe(0);
  });

  it("reports itself inactive inside its handler, as hrtimer_active after dequeue", () => {
    const base = new SchedulerTimerBase();
    let activeInside: boolean | undefined;
    const timer = new HrTimer(base, "inside", (t) => {
      activeInside = t.active;
      return "norestart";
    });
    timer.start(1);
    base.runUntil();
    expect(activeInside).toBe(false);
  });

  it("keeps independent timers on one base independent", () => {
    const base = new SchedulerTimerBase();
    const a = recordingTimer(base, "a");
    const b = recordingTimer(base, "b");
    a.timer.start(200);
    b.timer.start(100);
    a.timer.cancel();
    base.runUntil();
    expect(a.firedAt).toEqual([]);
    expect(b.firedAt).toEqual([100]);
  });
});
