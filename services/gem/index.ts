/**
 * Public surface of the GEM shmem model: the decider (`decide`, `evolve`, `initialState`), its
 * events and commands, the shrinker and the frame pool behind the system-memory limit. Pure: the
 * driver actor publishes the events, zero-fills or restores pages on `GemPagesAllocated` and saves
 * contents on `GemSwappedOut`.
 */
export * from "./framePool.ts";
export * from "./gemEvents.ts";
export * from "./gemState.ts";
export * from "./gemShrinker.ts";
export * from "./gemDecide.ts";
