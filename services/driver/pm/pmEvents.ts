/**
 * Events of the driver's power policy: runtime PM (`panthor_device.c` §6.1), devfreq
 * (`panthor_devfreq.c` §6.3) and the stand-in submission interface the PM offers until the
 * scheduler takes its own references (see `pmHooks.ts` and this folder's README).
 */
import { z } from "zod";
import { defineEvent } from "../../../shared/events/registry.ts";

/** Subject paths of the power policy of `drv<N>`. */
export const pmPaths = (gpu: number) => ({
  /** `SubmissionPending`, `SubmissionRetired`: work for the GPU starts and ends (inputs). */
  submit: `drv${gpu}.pm`,
  /** `SubmissionCleared`: the answer to `SubmissionPending`. */
  submitDone: `drv${gpu}.pm.done`,
  /** `RuntimePmSuspended`, `RuntimePmResumed`, `RuntimePmResumeFailed`. */
  rpm: `drv${gpu}.pm.rpm`,
  /** `DevfreqTransition`. */
  devfreq: `drv${gpu}.pm.devfreq`,
});

const tag = z.string().min(1);
const ns = z.number().int().nonnegative();
const hz = z.number().int().positive();
const errno = z.number().int().negative();

/**
 * Work is queued for the GPU (a job handed to a queue): the PM takes a usage reference as
 * `pm_runtime_resume_and_get()` does, resuming the GPU if it is suspended, and answers
 * `SubmissionCleared` with the same tag once the GPU is ACTIVE. The submitter ends the work with
 * `SubmissionRetired`. For submitters outside the driver actor (tests, scenarios, a firmware
 * stand-in) until the scheduler calls the PM directly.
 */
export const SubmissionPending = defineEvent(
  "SubmissionPending",
  z.object({ tag }),
  "Work is queued for the GPU: take a runtime-PM reference (resuming the GPU) and answer SubmissionCleared.",
);

/** The GPU is ACTIVE for the submission `tag` (ret 0, the reference is held), or its resume failed (-errno, no reference). */
export const SubmissionCleared = defineEvent(
  "SubmissionCleared",
  z.object({ tag, ret: z.number().int().nonpositive() }),
  "The GPU is powered for a pending submission (ret 0), or resuming it failed (-errno).",
);

/**
 * The work of `SubmissionPending` `tag` completed: `pm_runtime_mark_last_busy()` then
 * `pm_runtime_put_autosuspend()` — the autosuspend delay counts from now. Unknown tags are ignored.
 */
export const SubmissionRetired = defineEvent(
  "SubmissionRetired",
  z.object({ tag }),
  "A submission's work completed: mark the device busy now and drop its runtime-PM reference.",
);

/**
 * `panthor_device_suspend()` completed: the GPU is SUSPENDED (L2 and cores off, clocks gated).
 * `idleNs` is the time since the last `pm_runtime_mark_last_busy()`, `latencyNs` how long the
 * sequence took, `fast` whether the firmware halted cleanly (the resume can restart it without a
 * reload; otherwise the GPU was soft-reset).
 */
export const RuntimePmSuspended = defineEvent(
  "RuntimePmSuspended",
  z.object({ atNs: ns, idleNs: ns, latencyNs: ns, fast: z.boolean() }),
  "The GPU was runtime-suspended after its autosuspend delay: time, idle time before it, sequence length.",
);

/** `panthor_device_resume()` completed: the GPU is ACTIVE; `latencyNs` from the resume request. */
export const RuntimePmResumed = defineEvent(
  "RuntimePmResumed",
  z.object({ atNs: ns, latencyNs: ns }),
  "The GPU was runtime-resumed for new work; latency from the request to ACTIVE.",
);

/** `panthor_device_resume()` failed: the GPU stays SUSPENDED; a later request retries. */
export const RuntimePmResumeFailed = defineEvent(
  "RuntimePmResumeFailed",
  z.object({ errno, step: z.enum(["clocks", "l2-power", "firmware"]) }),
  "Runtime resume failed with an errno at a step; the GPU stays suspended.",
);

/**
 * devfreq switched the GPU's OPP (`devfreq_set_target()` → `panthor_devfreq_target()`): from and
 * to in Hz, and the load (busy / total time of the window) that made the governor ask for it.
 */
export const DevfreqTransition = defineEvent(
  "DevfreqTransition",
  z.object({ from: hz, to: hz, load: z.number().min(0).max(1) }),
  "The devfreq governor moved the GPU to another OPP, for the load of the last polling window.",
);

/** Every power-policy event type. */
export const pmEvents = [
  SubmissionPending,
  SubmissionCleared,
  SubmissionRetired,
  RuntimePmSuspended,
  RuntimePmResumed,
  RuntimePmResumeFailed,
  DevfreqTransition,
] as const;
