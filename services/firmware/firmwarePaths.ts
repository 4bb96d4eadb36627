/**
 * A per-slot path, built once: the firmware publishes on these paths for every fact, and the
 * runtime looks each path up by string, so handing out the same string skips rebuilding and
 * rehashing it.
 */
function memo(build: (slot: number) => string): (slot: number) => string {
  const built: string[] = [];
  return (slot) => (built[slot] ??= build(slot));
}

/** {@link memo} for a (CSG slot, CS slot) path. */
function memo2(build: (slot: number, cs: number) => string): (slot: number, cs: number) => string {
  const built: string[][] = [];
  return (slot, cs) => ((built[slot] ??= [])[cs] ??= build(slot, cs));
}

/**
 * Subject paths of a GPU's MCU firmware (actor `gpu<N>.fw`). The firmware's register-level
 * outputs travel on the register file's subjects (`McuStatusChanged` on `gpu<N>.mcu.status`,
 * `IrqRaised` on `gpu<N>.irq.raise`) and its memory writes on `gpu<N>.mem.write`; these paths
 * carry the firmware's own facts, grouped as a driver engineer reads them: boot, global
 * interface, one subject per CSG slot (its state on `.state`), one per CS, and sync objects.
 */
export const firmwarePaths = (gpu: number) => ({
  /** `FirmwareBooted`, `FirmwareBootFailed`, `FirmwareCrashed`. */
  boot: `gpu${gpu}.fw.boot`,
  /** `GlbRequestsAcked`, `GlbRequestsIgnored`, `GlbEventRaised`. */
  glb: `gpu${gpu}.fw.glb`,
  /** `CsgRequestsAcked`, `CsgEventRaised` of CSG slot `slot`. */
  csg: memo((slot: number) => `gpu${gpu}.fw.csg.${slot}`),
  /** `CsgStateChanged` of CSG slot `slot` (DESIGN.md's `gpu<N>.fw.csg.<slot>.state`). */
  csgState: memo((slot: number) => `gpu${gpu}.fw.csg.${slot}.state`),
  /** `CsRequestsAcked`, `CsIdle`, `CsBlocked`, `CsFaultRaised`, `CsTilerOomRaised` of one CS. */
  cs: memo2((slot: number, cs: number) => `gpu${gpu}.fw.csg.${slot}.cs.${cs}`),
  /** `SyncObjectUpdated`: every SYNC_ADD/SYNC_SET a CS performed (fences derive from it). */
  sync: `gpu${gpu}.fw.sync`,
  /** `FirmwareFaultInjected` (also accepted on the run's `fault.inject`). */
  inject: `gpu${gpu}.fw.inject`,
});

/** The subject paths of one GPU's firmware. */
export type FirmwarePaths = ReturnType<typeof firmwarePaths>;
