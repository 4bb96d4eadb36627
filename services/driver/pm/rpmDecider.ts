/**
 * Runtime PM of one device as a decider — `initialRpmState`, `decideRpm(command, state)` →
 * facts, `evolveRpm(state, fact)` — mirroring the parts of drivers/base/power/runtime.c panthor
 * relies on: the usage count, `last_busy`, the autosuspend hrtimer (`pm_suspend_timer_fn`,
 * `pm_runtime_autosuspend_expiration`) and `runtime_status` (RPM_ACTIVE / RPM_SUSPENDING /
 * RPM_SUSPENDED / RPM_RESUMING, which is also panthor's `ptdev->pm.state`).
 *
 * Pure: time comes in with the commands; the shell (`runtimePm.ts`) arms the timer and runs the
 * suspend and resume sequences the facts ask for.
 *
 * Simplified: no parent/child or supplier links, no `ignore_children`, no idle callback (panthor
 * has none: rpm_idle goes straight to an autosuspend), no RPM_ASYNC distinction (callbacks run as
 * kernel tasks either way), no timer slack.
 */

/** `enum rpm_status`. */
export type RpmStatus = "active" | "suspending" | "suspended" | "resuming";

/** The runtime-PM fields of `struct dev_pm_info` the model keeps. */
export interface RpmState {
  readonly status: RpmStatus;
  /** `usage_count`. */
  readonly usageCount: number;
  /** `last_busy`, ns. */
  readonly lastBusyNs: number;
  /** `timer_expires`: the autosuspend hrtimer's absolute expiry, 0 when not armed. */
  readonly timerExpiresNs: number;
  /** A resume was asked for while suspending (`deferred_resume`). */
  readonly deferredResume: boolean;
  /** References taken while the device was not ACTIVE: dropped if the resume fails (`pm_runtime_resume_and_get`'s put_noidle). */
  readonly waitingGets: number;
}

/** The device right after `pm_runtime_set_active()` + `pm_runtime_resume_and_get()` in `panthor_device_init()`. */
export const initialRpmState: RpmState = { status: "active", usageCount: 1, lastBusyNs: 0, timerExpiresNs: 0, deferredResume: false, waitingGets: 0 };

/** What the device and its users ask of runtime PM. */
export type RpmCommand =
  /** `pm_runtime_get()` / `pm_runtime_resume_and_get()`: a reference, and a resume when not ACTIVE. */
  | { readonly type: "get" }
  /** `pm_runtime_put_autosuspend()`. */
  | { readonly type: "putAutosuspend"; readonly nowNs: number }
  /** `pm_runtime_mark_last_busy()`. */
  | { readonly type: "markLastBusy"; readonly nowNs: number }
  /** The autosuspend hrtimer fired (`pm_suspend_timer_fn`). */
  | { readonly type: "timerExpired"; readonly nowNs: number }
  /** The suspend callback returned -EBUSY: the device is not idle after all. */
  | { readonly type: "suspendRefused"; readonly nowNs: number }
  /** The suspend callback (`panthor_device_suspend`) returned 0. */
  | { readonly type: "suspendFinished"; readonly nowNs: number }
  /** The resume callback (`panthor_device_resume`) returned 0 or -errno. */
  | { readonly type: "resumeFinished"; readonly nowNs: number; readonly errno: number };

/** Facts of runtime PM; the shell acts on the starred ones. */
export type RpmFact =
  | { readonly type: "usageChanged"; readonly usageCount: number; readonly waiting: boolean }
  | { readonly type: "lastBusyMarked"; readonly atNs: number }
  /** ★ arm the autosuspend hrtimer at `expiresNs` (absolute). */
  | { readonly type: "autosuspendArmed"; readonly expiresNs: number }
  | { readonly type: "autosuspendExpired" }
  /** ★ run the suspend callback. */
  | { readonly type: "suspendStarted" }
  /** ★ the suspend callback refused: ACTIVE again (references taken meanwhile are satisfied). */
  | { readonly type: "suspendAborted" }
  /** ★ the device is SUSPENDED. */
  | { readonly type: "suspended" }
  | { readonly type: "resumeDeferred" }
  /** ★ run the resume callback. */
  | { readonly type: "resumeStarted" }
  /** ★ the device is ACTIVE. */
  | { readonly type: "resumed" }
  /** ★ the resume failed: SUSPENDED again, the waiting references dropped. */
  | { readonly type: "resumeFailed"; readonly errno: number; readonly dropped: number };

/** Configuration: `pm_runtime_set_autosuspend_delay()` in ns. */
export interface RpmConfig {
  readonly autosuspendDelayNs: number;
}

/** A `put` with no reference left: `"Runtime PM usage count underflow!"` — a bug in the caller. */
export class RpmUsageUnderflowError extends Error {
  override readonly name = "RpmUsageUnderflowError";
  constructor() {
    super("runtime PM usage count underflow: pm_runtime_put_autosuspend() without a matching get");
  }
}

/** `pm_runtime_autosuspend_expiration()`: `last_busy + delay` when that is still in the future, else 0. */
export function autosuspendExpiration(s: RpmState, c: RpmConfig, nowNs: number): number {
  const expires = s.lastBusyNs + c.autosuspendDelayNs;
  return expires > nowNs ? expires : 0;
}

/** Apply one fact. */
export function evolveRpm(s: RpmState, f: RpmFact): RpmState {
  switch (f.type) {
    case "usageChanged":
      return { ...s, usageCount: f.usageCount, waitingGets: s.waitingGets + (f.waiting ? 1 : 0) };
    case "lastBusyMarked":
      return { ...s, lastBusyNs: f.atNs };
    case "autosuspendArmed":
      return { ...s, timerExpiresNs: f.expiresNs };
    case "autosuspendExpired":
      return { ...s, timerExpiresNs: 0 };
    case "suspendStarted":
      return { ...s, status: "suspending", timerExpiresNs: 0 };
    case "suspendAborted":
      return { ...s, status: "active", deferredResume: false, waitingGets: 0 };
    case "suspended":
      return { ...s, status: "suspended" };
    case "resumeDeferred":
      return { ...s, deferredResume: true };
    case "resumeStarted":
      return { ...s, status: "resuming", deferredResume: false };
    case "resumed":
      return { ...s, status: "active", waitingGets: 0 };
    case "resumeFailed":
      return { ...s, status: "suspended", usageCount: s.usageCount - f.dropped, waitingGets: 0 };
  }
}

/**
 * Decide the facts a command produces, folding each into the state before deciding the next
 * (so one command can end in a suspend or resume starting).
 */
export function decideRpm(cmd: RpmCommand, state: RpmState, c: RpmConfig): RpmFact[] {
  const out: RpmFact[] = [];
  let s = state;
  const fact = (f: RpmFact) => {
    out.push(f);
    s = evolveRpm(s, f);
  };
  switch (cmd.type) {
    case "get":
      fact({ type: "usageChanged", usageCount: s.usageCount + 1, waiting: s.status !== "active" });
      rpmResume(s, fact);
      break;
    case "putAutosuspend":
      if (s.usageCount <= 0) throw new RpmUsageUnderflowError();
      fact({ type: "usageChanged", usageCount: s.usageCount - 1, waiting: false });
      if (s.usageCount === 0) rpmAutosuspend(s, c, cmd.nowNs, fact);
      break;
    case "markLastBusy":
      fact({ type: "lastBusyMarked", atNs: cmd.nowNs });
      break;
    case "timerExpired":
      // pm_suspend_timer_fn: only an expiry that is still the armed one and due counts.
      if (s.timerExpiresNs === 0 || s.timerExpiresNs > cmd.nowNs) break;
      fact({ type: "autosuspendExpired" });
      rpmAutosuspend(s, c, cmd.nowNs, fact);
      break;
    case "suspendRefused":
      // rpm_suspend on -EBUSY: back to ACTIVE; retry only if someone marked the device busy meanwhile.
      fact({ type: "suspendAborted" });
      if (autosuspendExpiration(s, c, cmd.nowNs) !== 0) rpmAutosuspend(s, c, cmd.nowNs, fact);
      break;
    case "suspendFinished":
      fact({ type: "suspended" });
      if (s.deferredResume || s.usageCount > 0) fact({ type: "resumeStarted" });
      break;
    case "resumeFinished":
      if (cmd.errno < 0) {
        fact({ type: "resumeFailed", errno: cmd.errno, dropped: s.waitingGets });
        break;
      }
      fact({ type: "resumed" });
      // rpm_resume ends in rpm_idle, which (no idle callback) tries an autosuspend.
      if (s.usageCount === 0) rpmAutosuspend(s, c, cmd.nowNs, fact);
      break;
  }
  return out;
}

/** `rpm_resume()`'s decision: nothing when ACTIVE or already resuming, after the suspend when suspending. */
function rpmResume(s: RpmState, fact: (f: RpmFact) => void): void {
  if (s.status === "suspended") fact({ type: "resumeStarted" });
  else if (s.status === "suspending" && !s.deferredResume) fact({ type: "resumeDeferred" });
}

/**
 * `rpm_suspend(dev, RPM_AUTO)`: refused (-EAGAIN) with references held or when not ACTIVE; too
 * early → (re)arm the hrtimer at `last_busy + delay` unless it is armed for no later than that;
 * else the suspend starts.
 */
function rpmAutosuspend(s: RpmState, c: RpmConfig, nowNs: number, fact: (f: RpmFact) => void): void {
  if (s.usageCount > 0 || s.status !== "active") return;
  const expires = autosuspendExpiration(s, c, nowNs);
  if (expires === 0) return fact({ type: "suspendStarted" });
  if (!(s.timerExpiresNs !== 0 && s.timerExpiresNs <= expires)) fact({ type: "autosuspendArmed", expiresNs: expires });
}
