/**
 * The KUnit suite "dma-buf-fence" (drivers/dma-buf/st-dma-fence.c, kernel-tests.md §3.2) and the core
 * API rules of §3.1, against the pure fence model.
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import {
  addCallback, checkAndSignal, enableSwSignaling, fenceCallback, fenceNames, FenceRegistry, getStatus, isSignaled,
  release, removeCallback, setDeadline, setError, signal, type DmaFence,
} from "./dmaFence.ts";
import { waitAnyTimeout, waitTimeout } from "./fenceWait.ts";

const HZ = 250;
const JIFFY_NS = 1e9 / HZ;

function mockFence(reg = new FenceRegistry()): DmaFence {
  return reg.create({ context: reg.contextAlloc(1), seqno: 0, driverName: "mock", timelineName: "mock" });
}

describe("st-dma-fence (FENCE-01..12)", () => {
  it("FENCE-01 sanitycheck: creates, enables signalling, signals and releases a fence without errors", () => {
    const reg = new FenceRegistry();
    const f = mockFence(reg);
    enableSwSignaling(f);
    expect(signal(f, 1)).toBe(0);
    expect(release(f, 2)).toBeUndefined();
    expect(reg.warnings).toEqual([]);
  });

  it("FENCE-02 signaling: check_and_signal reports 'not already signalled', then the flag is set and the ops are cleared", () => {
    const f = mockFence();
    f.ops = {};
    enableSwSignaling(f);
    expect(isSignaled(f)).toBe(false);
    expect(checkAndSignal(f, 10)).toBe(false);
    expect(isSignaled(f)).toBe(true);
    expect(f.signalled).toBe(true);
    expect(f.ops).toBeUndefined();
    expect(checkAndSignal(f, 20)).toBe(true);
  });

  it("FENCE-03 add_callback: given a callback on an unsignalled fence, when signal returns, then it has run", () => {
    const f = mockFence();
    let seen = false;
    expect(addCallback(f, fenceCallback(() => (seen = true)))).toBe(0);
    expect(seen).toBe(false);
    signal(f, 5);
    expect(seen).toBe(true);
  });

  it("FENCE-04 late_add_callback: adding to a signalled fence fails with -ENOENT and the callback never runs", () => {
    const f = mockFence();
    enableSwSignaling(f);
    signal(f, 1);
    let seen = false;
    expect(addCallback(f, fenceCallback(() => (seen = true)))).toBe(-ERRNO.ENOENT);
    expect(signal(f, 2)).toBe(-ERRNO.EINVAL);
    expect(seen).toBe(false);
  });

  it("FENCE-05 rm_callback: a removed callback reports true and does not run at signal", () => {
    const f = mockFence();
    let seen = false;
    const cb = fenceCallback(() => (seen = true));
    addCallback(f, cb);
    expect(removeCallback(f, cb)).toBe(true);
    signal(f, 1);
    expect(seen).toBe(false);
  });

  it("FENCE-06 late_rm_callback: removing a callback that already ran reports false", () => {
    const f = mockFence();
    let seen = false;
    const cb = fenceCallback(() => (seen = true));
    addCallback(f, cb);
    signal(f, 1);
    expect(seen).toBe(true);
    expect(removeCallback(f, cb)).toBe(false);
  });

  it("FENCE-07 status: get_status is 0 while pending and 1 once signalled without error", () => {
    const f = mockFence();
    enableSwSignaling(f);
    expect(getStatus(f)).toBe(0);
    signal(f, 1);
    expect(getStatus(f)).toBe(1);
  });

  it("FENCE-08 error: an error set before the signal is invisible until the signal, then reported", () => {
    const f = mockFence();
    enableSwSignaling(f);
    setError(f, -ERRNO.EIO);
    expect(getStatus(f)).toBe(0);
    signal(f, 1);
    expect(getStatus(f)).toBe(-ERRNO.EIO);
  });

  it("FENCE-09 wait: a zero-timeout wait returns 0 before the signal and 1 after", () => {
    const f = mockFence();
    expect(waitTimeout(f, 0, 0, 0)).toBe(0);
    signal(f, 10);
    expect(waitTimeout(f, 20, 0, 20)).toBe(1);
  });

  it("FENCE-10 wait_timeout: a one-jiffy wait expires with 0; a wait of HZ on a fence a timer signals after a jiffy returns non-zero", () => {
    const f = mockFence();
    expect(waitTimeout(f, 0, JIFFY_NS, JIFFY_NS / 2)).toBeUndefined();
    expect(waitTimeout(f, 0, JIFFY_NS, JIFFY_NS)).toBe(0);
    const start = JIFFY_NS;
    const timerAt = start + JIFFY_NS;
    expect(waitTimeout(f, start, 1e9, timerAt - 1)).toBeUndefined();
    signal(f, timerAt);
    const ret = waitTimeout(f, start, 1e9, timerAt);
    expect(ret).toBe(1e9 - JIFFY_NS);
  });

  it("FENCE-11 stub: 64 calls of get_stub all return the same signalled fence on context 0", () => {
    const reg = new FenceRegistry();
    const stubs = Array.from({ length: 64 }, () => reg.stub());
    for (const s of stubs) expect(isSignaled(s)).toBe(true);
    expect(new Set(stubs).size).toBe(1);
    expect(stubs[0]).toMatchObject({ context: 0, seqno: 0n });
    expect(reg.contextAlloc(1)).toBe(1);
  });

  it("FENCE-12 race_signal_callback: in every interleaving of two threads, each callback on the peer's fence is observed", () => {
    for (const before of [false, true]) {
      let schedules = 0;
      for (const schedule of allSchedules(() => raceThreads(before))) {
        schedules++;
        expect(schedule.seen, `before=${before} schedule=${schedule.order.join("")}`).toEqual([true, true]);
      }
      expect(schedules).toBeGreaterThan(10);
    }
  });
});

interface Step { readonly guard?: () => boolean; readonly run: () => void }
interface Race { readonly threads: Step[][]; readonly seen: boolean[] }

/** Two threads as in `thread_signal_callback`: publish f1, take the peer's f2, signal/add-callback, wait. */
function raceThreads(before: boolean): Race {
  const reg = new FenceRegistry();
  const published: (DmaFence | undefined)[] = [undefined, undefined];
  const seen = [false, false];
  const t = { now: 0 };
  const threads = [0, 1].map((me) => {
    const peer = 1 - me;
    let f1: DmaFence | undefined;
    const signalMine: Step = { run: () => void signal(f1, ++t.now) };
    const addToPeer: Step = {
      run: () => {
        const r = addCallback(published[peer], fenceCallback(() => (seen[me] = true)));
        if (r !== 0) seen[me] = true; // a miss: the peer already signalled, counted as seen
      },
    };
    return [
      { run: () => void (published[me] = f1 = mockFence(reg)) },
      { guard: () => published[peer] !== undefined, run: () => {} },
      ...(before ? [signalMine, addToPeer] : [addToPeer, signalMine]),
      { guard: () => published[peer]!.signalled, run: () => {} },
    ];
  });
  return { threads, seen };
}

/** Every interleaving of the threads' steps, replayed from scratch (depth-first over choices). */
function* allSchedules(make: () => Race): Generator<{ order: number[]; seen: boolean[] }> {
  const stack: number[][] = [[]];
  while (stack.length > 0) {
    const prefix = stack.pop()!;
    const race = make();
    const pc = race.threads.map(() => 0);
    for (const who of prefix) race.threads[who]![pc[who]!++]!.run();
    const runnable = race.threads.map((steps, i) => i).filter((i) => {
      const step = race.threads[i]![pc[i]!];
      return step !== undefined && (step.guard?.() ?? true);
    });
    const unfinished = race.threads.some((steps, i) => pc[i]! < steps.length);
    if (runnable.length === 0) {
      if (unfinished) throw new Error(`deadlock after schedule ${prefix.join("")}`);
      yield { order: prefix, seen: race.seen };
    }
    for (const i of runnable.reverse()) stack.push([...prefix, i]);
  }
}

describe("dma-fence core rules (FENCE-C01..C12)", () => {
  it("FENCE-C01 signals once: the second signal and a missing fence return -EINVAL, leaving error and timestamp alone", () => {
    const f = mockFence();
    expect(signal(f, 7, -ERRNO.EIO)).toBe(0);
    expect(signal(f, 9, -ERRNO.ECANCELED)).toBe(-ERRNO.EINVAL);
    expect(f).toMatchObject({ error: -ERRNO.EIO, timestampNs: 7 });
    expect(signal(undefined, 1)).toBe(-ERRNO.EINVAL);
  });

  it("FENCE-C01 runs callbacks exactly once, in registration order", () => {
    const f = mockFence();
    const order: number[] = [];
    for (const n of [1, 2, 3]) addCallback(f, fenceCallback(() => order.push(n)));
    signal(f, 1);
    signal(f, 2);
    expect(order).toEqual([1, 2, 3]);
  });

  it("FENCE-C02 enables signalling once, and a hook answering false signals at once and refuses the callback", () => {
    const reg = new FenceRegistry();
    let enables = 0;
    const lazy = reg.create({ context: 1, seqno: 1, ops: { enableSignaling: () => (enables++, true) } });
    addCallback(lazy, fenceCallback(() => {}));
    addCallback(lazy, fenceCallback(() => {}));
    expect(enables).toBe(1);
    const done = reg.create({ context: 1, seqno: 2, ops: { enableSignaling: () => false } });
    let ran = false;
    expect(addCallback(done, fenceCallback(() => (ran = true)), 42)).toBe(-ERRNO.ENOENT);
    expect(done).toMatchObject({ signalled: true, timestampNs: 42 });
    expect(ran).toBe(false);
  });

  it("FENCE-C03 refuses a missing fence or callback with -EINVAL", () => {
    expect(addCallback(undefined, fenceCallback(() => {}))).toBe(-ERRNO.EINVAL);
    expect(addCallback(mockFence(), undefined)).toBe(-ERRNO.EINVAL);
  });

  it("FENCE-C04 reports false when removing a callback that was never added", () => {
    expect(removeCallback(mockFence(), fenceCallback(() => {}))).toBe(false);
  });

  it("FENCE-C06 wait_timeout: negative timeout is -EINVAL, signalled at the start returns the timeout", () => {
    const f = mockFence();
    expect(waitTimeout(f, 0, -1, 0)).toBe(-ERRNO.EINVAL);
    signal(f, 0);
    expect(waitTimeout(f, 5, 1000, 5)).toBe(1000);
  });

  it("FENCE-C07 wait_any_timeout: -EINVAL for none; timeout 0 reports the first signalled; a wait wakes on the earliest signal", () => {
    const [a, b, c] = [mockFence(), mockFence(), mockFence()];
    expect(waitAnyTimeout([], 0, 10, 0)).toEqual({ ret: -ERRNO.EINVAL, index: undefined });
    expect(waitAnyTimeout([a, b, c], 0, 0, 0)).toEqual({ ret: 0, index: undefined });
    expect(waitAnyTimeout([a, b, c], 0, 100, 50)).toBeUndefined();
    signal(c, 30);
    signal(b, 60);
    expect(waitAnyTimeout([a, b, c], 0, 100, 70)).toEqual({ ret: 70, index: 2 });
    expect(waitAnyTimeout([a, b, c], 80, 0, 80)).toEqual({ ret: 1, index: 1 });
    expect(waitAnyTimeout([a], 0, 100, 100)).toEqual({ ret: 0, index: undefined });
  });

  it("FENCE-C08 is_signaled polls the signaled hook and signals the fence as a side effect", () => {
    const reg = new FenceRegistry();
    let hwDone = false;
    const f = reg.create({ context: 1, seqno: 1, ops: { signaled: () => hwDone } });
    expect(isSignaled(f, 10)).toBe(false);
    hwDone = true;
    expect(isSignaled(f, 20)).toBe(true);
    expect(f.timestampNs).toBe(20);
  });

  it("FENCE-C09 context_alloc hands out consecutive ids starting at 1", () => {
    const reg = new FenceRegistry();
    expect(reg.contextAlloc(2)).toBe(1);
    expect(reg.contextAlloc(1)).toBe(3);
  });

  it("FENCE-C10 reports placeholder driver and timeline names once signalled", () => {
    const f = mockFence();
    expect(fenceNames(f)).toEqual({ driver: "mock", timeline: "mock" });
    signal(f, 1);
    expect(fenceNames(f)).toEqual({ driver: "detached-driver", timeline: "signaled-timeline" });
  });

  it("FENCE-C11 releasing an unsignalled fence with callbacks warns, forces -EDEADLK and releases the waiters", () => {
    const reg = new FenceRegistry();
    const f = mockFence(reg);
    let status = 0;
    addCallback(f, fenceCallback((done) => (status = getStatus(done))));
    expect(release(f, 3)?.kind).toBe("release-unsignalled-with-callbacks");
    expect(status).toBe(-ERRNO.EDEADLK);
  });

  it("FENCE-C12 forwards deadlines only while unsignalled and keeps the soonest", () => {
    const reg = new FenceRegistry();
    const asked: number[] = [];
    const f = reg.create({ context: 1, seqno: 1, ops: { setDeadline: (_f, d) => asked.push(d) } });
    setDeadline(f, 500);
    setDeadline(f, 300);
    setDeadline(f, 400);
    expect(f.deadlineNs).toBe(300);
    signal(f, 1);
    setDeadline(f, 100);
    expect(asked).toEqual([500, 300, 400]);
  });
});

describe("dma-fence error propagation (FENCE-E01..E03)", () => {
  it("FENCE-E02 set_error on a signalled fence is a recorded contract violation and the value is still stored", () => {
    const reg = new FenceRegistry();
    const f = mockFence(reg);
    signal(f, 1);
    expect(setError(f, -ERRNO.EIO)?.kind).toBe("set-error-after-signal");
    expect(f.error).toBe(-ERRNO.EIO);
  });

  it("FENCE-E03 set_error with a non-negative value or below -4095 is a recorded WARN", () => {
    const reg = new FenceRegistry();
    expect(setError(mockFence(reg), 0)?.kind).toBe("error-out-of-range");
    expect(setError(mockFence(reg), -4096)?.kind).toBe("error-out-of-range");
    expect(setError(mockFence(reg), -4095)).toBeUndefined();
  });

  it("FENCE-E01 signal with an error attaches it before the flag, so the first observer already sees it", () => {
    const f = mockFence();
    let seen = 0;
    addCallback(f, fenceCallback((done) => (seen = getStatus(done))));
    signal(f, 1, -ERRNO.ETIMEDOUT);
    expect(seen).toBe(-ERRNO.ETIMEDOUT);
  });
});
