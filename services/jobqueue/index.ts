/**
 * Public surface of job submission: the firmware-era JobQueue (dependencies + ring credits, done
 * fences in timeline order, lost jobs signalled with an error) and, for side-by-side comparison,
 * the drm_sched model (entities, run queues, credits, TDR, recovery). Pure: no bus, no actors.
 * Test fixtures (mockScheduler.ts, fakeRing.ts) are imported directly, not from here.
 */
export * from "./jobQueueEffects.ts";
export * from "./jobQueue.ts";
export * from "./queueTimeout.ts";
export * from "./drmSched.ts";
export * from "./entity.ts";
export * from "./schedJob.ts";
export * from "./schedFence.ts";
export * from "./schedRecovery.ts";
