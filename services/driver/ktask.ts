import type { Envelope } from "../../shared/events/envelope.ts";
import type { EventDef, PayloadOf } from "../../shared/events/registry.ts";

/**
 * What a kernel task asks of the simulated kernel at each step. A task is written as straight-line
 * code in a generator — the shape of the kernel C it mirrors (`gpu_write`, `readl_poll_timeout`,
 * `msleep`, `wait_event_timeout`) — and every operation becomes events and timers of the driver
 * actor that runs it, so the task takes virtual time and leaves its trace on the log.
 */
export type KOp =
  | { readonly op: "write"; readonly offset: number; readonly value: number }
  | { readonly op: "read"; readonly offset: number }
  | { readonly op: "sleep"; readonly ns: number }
  | { readonly op: "now" }
  | { readonly op: "publish"; readonly def: EventDef; readonly path: string; readonly payload: unknown }
  | { readonly op: "wait"; readonly match: (e: Envelope) => unknown; readonly timeoutNs: number }
  | { readonly op: "until"; readonly cond: () => unknown; readonly timeoutNs: number }
  | { readonly op: "lock"; readonly mutex: KMutex }
  | { readonly op: "unlock"; readonly mutex: KMutex };

/**
 * A sleeping lock for kernel tasks (`struct mutex`): one owner, waiters served in FIFO order. The
 * runner hands the lock to the next waiter on unlock and resumes it in the same instant. Owner and
 * waiters are opaque to everything but the runner.
 */
export class KMutex {
  /** The task holding the lock, if any (runner-private). */
  owner: unknown = undefined;
  /** Tasks blocked in `mutex_lock`, oldest first (runner-private). */
  readonly waiters: unknown[] = [];
  constructor(readonly name: string) {}
}

/** A kernel task: a generator of operations, resumed with each operation's result. */
export type KTask<R> = Generator<KOp, R, unknown>;

/** `gpu_write(ptdev, offset, value)`. */
export function* writel(offset: number, value: number): KTask<void> {
  yield { op: "write", offset, value: value >>> 0 };
}

/** `gpu_read(ptdev, offset)`: a register-read event answered in the same instant. */
export function* readl(offset: number): KTask<number> {
  return (yield { op: "read", offset }) as number;
}

/** `usleep_range`/`msleep`: let virtual time pass. */
export function* sleepNs(ns: number): KTask<void> {
  yield { op: "sleep", ns };
}

/** `ktime_get()` on the virtual clock. */
export function* nowNs(): KTask<number> {
  return (yield { op: "now" }) as number;
}

/** Publish a typed event from the task (a fact the driver states: `DeviceProbed`, an errno …). */
export function* emit<D extends EventDef>(def: D, path: string, payload: PayloadOf<D>): KTask<void> {
  yield { op: "publish", def, path, payload };
}

/**
 * `wait_event_timeout(wq, condition, timeout)`: `cond` is checked at once and again whenever the
 * driver's state may have changed (after every event the actor handles and every step another
 * task takes — the wake_up of the kernel's wait queue). Resolves with what `cond` returned, or
 * undefined when `timeoutNs` passed first; `Infinity` waits forever (`wait_event`).
 */
export function* waitEvent<T>(cond: () => T | undefined, timeoutNs: number): KTask<T | undefined> {
  return (yield { op: "until", cond, timeoutNs }) as T | undefined;
}

/** `mutex_lock(&m)`: take the lock, sleeping while another task holds it. */
export function* mutexLock(mutex: KMutex): KTask<void> {
  yield { op: "lock", mutex };
}

/** `mutex_unlock(&m)`: release the lock; the oldest waiter gets it next. */
export function* mutexUnlock(mutex: KMutex): KTask<void> {
  yield { op: "unlock", mutex };
}

/**
 * `wait_event_timeout`: wait for an event that `match` accepts (returns non-undefined for), at most
 * `timeoutNs` (`Infinity`: no timeout); resolves with what `match` returned, or undefined on timeout.
 */
export function* waitFor<T>(match: (e: Envelope) => T | undefined, timeoutNs: number): KTask<T | undefined> {
  return (yield { op: "wait", match, timeoutNs }) as T | undefined;
}

/** Outcome of a poll: the condition held, or the timeout passed with the last value read. */
export interface PollResult {
  readonly ok: boolean;
  readonly value: number;
}

/**
 * `readl_poll_timeout(addr, val, cond, sleep_us, timeout_us)`: read, test, sleep, until the
 * condition holds or the timeout has passed — then one last read, as the kernel macro does.
 */
export function* readPollTimeout(offset: number, cond: (v: number) => boolean, sleepNsStep: number, timeoutNs: number): KTask<PollResult> {
  const deadline = (yield* nowNs()) + timeoutNs;
  for (;;) {
    const value = yield* readl(offset);
    if (cond(value)) return { ok: true, value };
    if ((yield* nowNs()) >= deadline) {
      const last = yield* readl(offset);
      return { ok: cond(last), value: last };
    }
    yield* sleepNs(sleepNsStep);
  }
}
