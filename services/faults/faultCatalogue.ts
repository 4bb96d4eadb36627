/**
 * The fault catalogue: for every kind of `faultKinds.ts`, which actor applies it, what it does,
 * which events it can be triggered on (the events that actor sees — a trigger is counted where
 * the fault is applied, so the choice is exact and deterministic), the events that show it, and
 * whether it is implemented. `tyrsim faults` prints this table.
 */
import type { FaultKind } from "./faultKinds.ts";

/** The hardware actor (suffix of `gpu<N>.<role>`) that applies a kind, or `runtime` for transport-level faults. */
export type FaultApplier = "shader" | "fw" | "regs" | "pwr" | "mem" | "runtime";

/** What the catalogue says about one kind. */
export interface FaultKindInfo {
  readonly kind: FaultKind;
  readonly applier: FaultApplier;
  /** What the fault does, in one or two sentences. */
  readonly summary: string;
  /** Event types `trigger.on.eventType` may name: the ones the applying actor receives. */
  readonly triggers: readonly string[];
  /** Event types in the log that show the fault acting (besides `FaultApplied`). */
  readonly effects: readonly string[];
  readonly status: "implemented" | "pending";
  /** For a pending kind: why it is not applied yet (also the rejection reason). */
  readonly pending?: string;
  /** The older single-purpose event that does the same, still accepted. */
  readonly legacy?: string;
}

const SHADER = ["JobDispatched"];
const FIRMWARE = ["DoorbellRung", "McuControlWritten", "JobStarted", "JobCompleted", "JobFaulted", "AsCommandIssued"];
const REGS = ["MmioWriteIssued", "MmioReadIssued", "IrqRaised", "PowerDomainChanged", "AsFaultRaised", "AsCommandCompleted", "McuStatusChanged"];
const POWER = [
  "ClockEnableRequested", "ClockDisableRequested", "RegulatorEnableRequested", "RegulatorDisableRequested", "PowerOnRequested",
  "PowerOffRequested", "FrequencyChangeRequested", "GpuSoftResetCompleted",
];

/** Every kind, in catalogue order. */
export const FAULT_CATALOGUE: Readonly<Record<FaultKind, FaultKindInfo>> = {
  "job-hang": {
    kind: "job-hang", applier: "shader", triggers: SHADER, status: "implemented", legacy: "JobFaultInjected",
    summary: "A job never completes: the named running job now, else the next (or the trigger's) dispatched job; it holds its cores until a reset.",
    effects: ["JobStarted (no durationNs)"],
  },
  "shader-fault": {
    kind: "shader-fault", applier: "shader", triggers: SHADER, status: "implemented", legacy: "JobFaultInjected",
    summary: "A shader core faults under a job: the named running job now, else the next (or the trigger's) dispatched job halfway through its run.",
    effects: ["JobFaulted (reason injected)", "CsFaultRaised (DATA_INVALID_FAULT)"],
  },
  "mmu-fault": {
    kind: "mmu-fault", applier: "shader", triggers: SHADER, status: "implemented",
    summary: "The next (or the trigger's) dispatched job touches a bad range first: an unmapped page (translation fault) or a write to a read-only page (permission fault).",
    effects: ["AsFaultRaised", "JobFaulted (reason mmu-fault)", "IrqLineChanged mmu", "MmuFaultHandled"],
  },
  "firmware-crash": {
    kind: "firmware-crash", applier: "fw", triggers: FIRMWARE, status: "implemented", legacy: "FirmwareFaultInjected",
    summary: "The MCU firmware crashes (at once, or when it next runs): MCU_STATUS FATAL, halt_status PANIC, nothing acknowledged until a reset.",
    effects: ["FirmwareCrashed", "McuStatusChanged 3"],
  },
  "firmware-ping-ignored": {
    kind: "firmware-ping-ignored", applier: "fw", triggers: FIRMWARE, status: "implemented", legacy: "FirmwareFaultInjected",
    summary: "The firmware stops acknowledging GLB_PING until a reset; the driver's watchdog must notice.",
    effects: ["GlbRequestsIgnored (ping-ignored)"],
  },
  "irq-lost": {
    kind: "irq-lost", applier: "regs", triggers: REGS, status: "implemented",
    summary: "The next assertion of the line never reaches the CPU: no IrqLineChanged, RAWSTAT keeps its bits, only polling sees them.",
    effects: ["(a missing IrqLineChanged)"],
  },
  "irq-spurious": {
    kind: "irq-spurious", applier: "regs", triggers: REGS, status: "implemented",
    summary: "Bits nobody raised appear in the line's INT_RAWSTAT, asserting the line when they are unmasked.",
    effects: ["IrqLineChanged"],
  },
  "reset-stuck": {
    kind: "reset-stuck", applier: "regs", triggers: REGS, status: "implemented",
    summary: "The next GPU_CMD SOFT_RESET never completes: RESET_COMPLETED never rises, later commands are dropped as busy (a HARD_RESET recovers).",
    effects: ["(no GpuSoftResetCompleted)", "ProbeStepFailed soft-reset -ETIMEDOUT"],
  },
  "supply-failure": {
    kind: "supply-failure", applier: "pwr", triggers: POWER, status: "implemented", legacy: "PowerSupplyFaultArmed",
    summary: "The next (or every) enable of a clock or regulator fails, at probe or at resume: -ETIMEDOUT (clock), -EIO (regulator).",
    effects: ["ClockEnableFailed", "RegulatorEnableFailed", "ProbeStepFailed", "DeviceProbeFailed"],
  },
  "dvfs-stuck": {
    kind: "dvfs-stuck", applier: "pwr", triggers: POWER, status: "implemented",
    summary: "The GPU drops to its lowest OPP and refuses every later frequency change (FrequencyChangeRejected reason dvfs-stuck).",
    effects: ["FrequencyChanged (lowest OPP)", "FrequencyChangeRejected"],
  },
  "memory-pressure": {
    kind: "memory-pressure", applier: "mem", triggers: ["MemoryWritten"], status: "implemented",
    summary: "System RAM available to the GPU shrinks by `bytes` (MemoryPressureApplied on gpu<N>.mem.pressure); the driver lowers its GEM limit by as much (GemLimitLowered), its shrinker reclaims idle objects and waits on busy objects' fences for the rest; with driver.fencePolicy unsafe, job completion then deadlocks in reclaim (FenceDeadlockDetected).",
    effects: ["MemoryPressureApplied", "GemLimitLowered", "GemPurged", "GemSwappedOut", "GemShrinkerWaiting", "FenceDeadlockDetected"],
  },
  "service-died": {
    kind: "service-died", applier: "runtime", triggers: [], status: "implemented",
    summary: "The named service process is killed at this instant (multi-process runtime only; the embedded runtime rejects it); it restarts, rebuilds its actors from the run's log and re-joins while virtual time waits, so the rest of the log is unchanged.",
    effects: ["ServiceRestarted"],
  },
  "message-loss": {
    kind: "message-loss", applier: "runtime", triggers: [], status: "implemented",
    summary: "The runtime's routing drops the next `count` actor events on the subject: they are never delivered (both runtimes, deterministically).",
    effects: ["MessageDropped"],
  },
  "message-delay": {
    kind: "message-delay", applier: "runtime", triggers: [], status: "implemented",
    summary: "The runtime's routing postpones the next `count` actor events on the subject by `delayNs` of virtual time (both runtimes, deterministically).",
    effects: ["MessageDelayed", "(the event, delayNs later)"],
  },
};

/** The actor that applies a kind on GPU `gpu` (`gpu0.shader`), or `runtime`. */
export function applierName(kind: FaultKind, gpu: number): string {
  const role = FAULT_CATALOGUE[kind].applier;
  return role === "runtime" ? "runtime" : `gpu${gpu}.${role}`;
}

/** Older single-purpose fault events and the kind each one is, for reports. */
export const LEGACY_FAULT_TYPES: Readonly<Record<string, (payload: Record<string, unknown>) => FaultKind>> = {
  PowerSupplyFaultArmed: () => "supply-failure",
  JobFaultInjected: (p) => (p["effect"] === "hang" ? "job-hang" : "shader-fault"),
  FirmwareFaultInjected: (p) => (p["kind"] === "crash" ? "firmware-crash" : "firmware-ping-ignored"),
};
