/**
 * Runtime PM of the GPU inside the driver actor: the thin shell around `rpmDecider.ts`. It keeps
 * the autosuspend hrtimer, runs `panthor_device_suspend()` / `_resume()` (`deviceSuspend.ts`) as
 * kernel tasks when the decider says so, wakes the tasks sleeping in `pm_runtime_resume_and_get()`
 * and states the outcome as events (`RuntimePmSuspended`, `RuntimePmResumed`,
 * `RuntimePmResumeFailed`).
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import { waitEvent, type KTask } from "../ktask.ts";
import type { KernelTaskRunner } from "../ktaskRunner.ts";
import { panthorDeviceResume, panthorDeviceSuspend, type DevicePmDeps, type SuspendedDevice } from "./deviceSuspend.ts";
import { RuntimePmResumed, RuntimePmResumeFailed, RuntimePmSuspended, pmPaths } from "./pmEvents.ts";
import { NO_SUBMISSION_SIDE, type PmDevice, type RuntimePm } from "./pmHooks.ts";
import { decideRpm, evolveRpm, initialRpmState, type RpmCommand, type RpmFact, type RpmState } from "./rpmDecider.ts";

/** Runtime PM as the driver uses it: the API, plus what the policy needs to see. */
export interface RuntimePmControl extends RuntimePm {
  snapshot(): unknown;
}

/** Configuration of runtime PM. */
export interface RuntimePmConfig {
  /** `pm_runtime_set_autosuspend_delay()`: 50 ms in panthor. */
  readonly autosuspendDelayNs: number;
  /** false = `pm_runtime_forbid()` (power/control "on"): a reference that is never dropped keeps the GPU ACTIVE. */
  readonly enabled: boolean;
}

/** The device's callbacks, without the hooks (those come from {@link RuntimePm.attachDevice}). */
export type RuntimePmDeps = Omit<DevicePmDeps, "device">;

/**
 * Runtime PM of a device that finished `panthor_device_init()`: ACTIVE, its init reference
 * dropped with `pm_runtime_mark_last_busy()` + `pm_runtime_put_autosuspend()`, so an idle GPU
 * suspends one autosuspend delay after probe.
 */
export function createRuntimePm(ctx: ActorContext, tasks: KernelTaskRunner, deps: RuntimePmDeps, config: RuntimePmConfig): RuntimePmControl {
  const gpu = deps.gpu;
  let device: PmDevice = NO_SUBMISSION_SIDE;
  let attached = false;
  let state: RpmState = config.enabled ? initialRpmState : { ...initialRpmState, usageCount: initialRpmState.usageCount + 1 };
  let saved: SuspendedDevice | undefined;
  let suspendStartNs = 0;
  let resumeStartNs = 0;
  /** Resume failures so far, and the last errno (what sleepers in resumeAndGet return). */
  let failures = { count: 0, errno: 0 };
  const stats = { suspends: 0, resumes: 0, resumeFailures: 0, suspendedNs: 0, suspendedSinceNs: -1 };
  const callbacks: DevicePmDeps = { ...deps, device: () => device };
  const timer = ctx.timer("rpm-autosuspend", () => {
    run({ type: "timerExpired", nowNs: ctx.nowNs() });
    return "norestart";
  });

  /** Decide, fold and act; commands raised while acting are queued, so facts apply in order. */
  const queue: RpmCommand[] = [];
  let running = false;
  function run(cmd: RpmCommand): void {
    queue.push(cmd);
    if (running) return;
    running = true;
    try {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        for (const f of decideRpm(c, state, { autosuspendDelayNs: config.autosuspendDelayNs })) {
          state = evolveRpm(state, f);
          act(f);
        }
      }
    } finally {
      running = false;
    }
    tasks.wake();
  }

  function act(f: RpmFact): void {
    const now = ctx.nowNs();
    switch (f.type) {
      case "autosuspendArmed":
        timer.start(f.expiresNs, "abs");
        return;
      case "suspendStarted":
        if (!device.isIdle()) return void queue.push({ type: "suspendRefused", nowNs: now });
        suspendStartNs = now;
        tasks.start("rpm-suspend", panthorDeviceSuspend(callbacks), (s) => {
          saved = s;
          run({ type: "suspendFinished", nowNs: ctx.nowNs() });
        });
        return;
      case "suspended":
        stats.suspends++;
        stats.suspendedSinceNs = now;
        ctx.publish(RuntimePmSuspended, pmPaths(gpu).rpm, { atNs: now, idleNs: now - state.lastBusyNs, latencyNs: now - suspendStartNs, fast: saved?.fast ?? true });
        return;
      case "resumeStarted": {
        resumeStartNs = now;
        const from = saved ?? { fast: true, gpu: { gpuIntMask: 0, shaderReady: 0, tilerReady: 0 } };
        tasks.start("rpm-resume", panthorDeviceResume(callbacks, from), (r) => {
          if (r.errno !== 0 && "step" in r) ctx.publish(RuntimePmResumeFailed, pmPaths(gpu).rpm, { errno: r.errno, step: r.step });
          run({ type: "resumeFinished", nowNs: ctx.nowNs(), errno: r.errno });
        });
        return;
      }
      case "resumed":
        if (stats.suspendedSinceNs >= 0) {
          stats.suspendedNs += resumeStartNs - stats.suspendedSinceNs;
          stats.suspendedSinceNs = -1;
          stats.resumes++;
          ctx.publish(RuntimePmResumed, pmPaths(gpu).rpm, { atNs: now, latencyNs: now - resumeStartNs });
        }
        return;
      case "resumeFailed":
        stats.resumeFailures++;
        failures = { count: failures.count + 1, errno: f.errno };
        return;
      default:
        return;
    }
  }

  const pm: RuntimePmControl = {
    *resumeAndGet(): KTask<number> {
      const seen = failures.count;
      run({ type: "get" });
      return (yield* waitEvent(() => (state.status === "active" ? 0 : failures.count > seen ? failures.errno : undefined), Infinity)) ?? 0;
    },
    get: () => run({ type: "get" }),
    getIfActive() {
      if (state.status !== "active") return false;
      run({ type: "get" });
      return true;
    },
    markLastBusy: () => run({ type: "markLastBusy", nowNs: ctx.nowNs() }),
    putAutosuspend: () => run({ type: "putAutosuspend", nowNs: ctx.nowNs() }),
    status: () => state.status,
    attachDevice(d) {
      device = d;
      attached = true;
    },
    snapshot: () => ({
      status: state.status,
      usageCount: state.usageCount,
      lastBusyNs: state.lastBusyNs,
      autosuspendAtNs: state.timerExpiresNs,
      enabled: config.enabled,
      submissionSide: attached,
      suspends: stats.suspends,
      resumes: stats.resumes,
      resumeFailures: stats.resumeFailures,
      suspendedNs: stats.suspendedNs + (stats.suspendedSinceNs >= 0 ? ctx.nowNs() - stats.suspendedSinceNs : 0),
    }),
  };
  // The end of panthor_device_init(): the init reference goes, the autosuspend delay starts.
  pm.markLastBusy();
  pm.putAutosuspend();
  return pm;
}
