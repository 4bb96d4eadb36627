/**
 * Public surface of the dma-fence model: fences and their registry, seqno ordering, virtual-time
 * waits, fence chains, the signalling-section lockdep checker and the reclaim-deadlock decision.
 * Pure: no bus, no actors; the JobQueue, drm_sched mode and driver actors call these.
 */
export * from "./dmaFence.ts";
export * from "./seqno.ts";
export * from "./fenceWait.ts";
export * from "./chain.ts";
export * from "./signallingSection.ts";
export * from "./reclaim.ts";
