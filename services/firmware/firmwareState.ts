import type { HostedMachine } from "../../shared/actor/hostedMachine.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import type { CsState } from "./cs/state.ts";
import type { createCsgSlotMachine } from "./csgSlotMachine.ts";
import type { TyrsimCsfDescriptor } from "./firmwareDescriptor.ts";
import type { CsgOutputWords, GlbOutputWords } from "./interfaceIo.ts";
import type { JobDispatch } from "./jobDispatch.ts";
import type { CsgBlocks, IfaceBlocks, SharedRegionLayout } from "./sharedRegion.ts";
import type { RunEffect } from "./cs/effects.ts";

/**
 * The firmware's runtime data, beside its machines: what a real CSF firmware keeps in its own
 * RAM for the global interface, each CSG slot and each CS slot. Plain records; the firmware
 * actor's modules mutate them.
 */

/** What the MCU learnt from its image at boot. */
export interface BootedImage {
  readonly descriptor: TyrsimCsfDescriptor;
  /** The model-shaped firmware block rebuilt from the descriptor (slot counts, versions, CS features). */
  readonly fw: GpuModel["firmware"];
  readonly layout: SharedRegionLayout;
  /** PA of the shared section's first page (for the boot fact). */
  readonly sharedPa: number;
}

/** Global-interface state the firmware keeps. */
export interface GlbState {
  out: GlbOutputWords;
  /** GLB_REQ.IDLE_EN as last acknowledged. */
  idleEnabled: boolean;
  idleNs: number;
  progressNs: number;
  poweroffNs: number;
  /** core_en_mask as last acknowledged with CFG_ALLOC_EN (SHADER_PRESENT until then). */
  coreEnMask: number;
  /** A GLB IDLE was raised and nothing ran since. */
  idleRaised: boolean;
  /** Pending requests already reported as ignored (reported once). */
  reportedIgnored: number;
}

/** A TILER_OOM handshake in progress: jobs held until the host answers. */
export interface TilerOomWait {
  readonly held: readonly { readonly run: RunEffect; readonly dispatch: JobDispatch }[];
}

/** One CS slot of a CSG slot. */
export interface CsSlot {
  readonly csg: number;
  readonly index: number;
  readonly blocks: IfaceBlocks;
  /** CS_ACK as the firmware last wrote it. */
  ack: number;
  started: boolean;
  state: CsState | null;
  /** Incremented on every fresh state: completions of older jobs are ignored. */
  epoch: number;
  /** CS `config`: priority [3:0], doorbell [15:8]. */
  priority: number;
  doorbell: number;
  ringInputVa: number;
  ringOutputVa: number;
  /** Something the CS output block shows changed: write it at the end of the reaction. */
  statusDirty: boolean;
  /** Chunks the host granted through TILER_OOM answers. */
  grantedChunks: number;
  oom: TilerOomWait | null;
  /** Inputs that arrived while a slice of this CS was in flight, applied after it commits. */
  deferred: (() => void)[];
  /** Stepping made no progress although the state says runnable: wait for an outside input. */
  parked: boolean;
  /** Executor serial of the last slice (round-robin among equals). */
  lastRun: number;
}

/** One CSG slot. */
export interface CsgSlot {
  readonly index: number;
  readonly blocks: CsgBlocks;
  readonly machine: HostedMachine<ReturnType<typeof createCsgSlotMachine>>;
  out: CsgOutputWords;
  /** CSG priority, endpoint_req [31:28]. */
  priority: number;
  /** The group's AS (CSG `config`). */
  as: number;
  computeCores: number;
  fragmentCores: number;
  jobsOutstanding: number;
  /** Last ACTIVITY told to the machine. */
  idle: boolean;
  /** The machine reported IDLE (and nothing ran since). */
  idleReported: boolean;
  readonly cs: CsSlot[];
}

/** A job on the shader cores, by its `JobDispatched.job` name. */
export interface JobRecord {
  readonly csg: number;
  readonly cs: number;
  readonly epoch: number;
  readonly jobId: number;
}

/** A CS slot in its reset state. */
export function createCsSlot(csg: number, index: number, blocks: IfaceBlocks): CsSlot {
  return {
    csg, index, blocks, ack: 0, started: false, state: null, epoch: 0, priority: 0, doorbell: 0, ringInputVa: 0, ringOutputVa: 0,
    statusDirty: false, grantedChunks: 0, oom: null, deferred: [], parked: false, lastRun: 0,
  };
}

/** The global state right after a cold boot. */
export function createGlbState(shaderPresent: number, defaultIdleNs: number): GlbState {
  return {
    out: { ack: 0, doorbellAck: 0, haltStatus: 0 }, idleEnabled: false, idleNs: defaultIdleNs, progressNs: 0, poweroffNs: 0,
    coreEnMask: shaderPresent, idleRaised: false, reportedIgnored: 0,
  };
}
