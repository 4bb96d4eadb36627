import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { ActorHandlerFailed, MessageRejected } from "../../shared/events/systemEvents.ts";
import { ProbeStepFailed } from "../../services/driver/driverEvents.ts";
import { FenceDeadlockDetected } from "../../services/driver/fence/fenceEvents.ts";
import { MmuFaultHandled } from "../../services/driver/uapi/uapiEvents.ts";
import { DeviceResetFailed, FwPingTimedOut } from "../../services/driver/reset/resetEvents.ts";
import { JobFenceSignalled } from "../../services/driver/sched/schedEvents.ts";
import { HardLockupDetected, LockdepInconsistentUsage, SpinlockDeadlocked } from "../../services/led/ledEvents.ts";
import { CsFaultRaised, FirmwareBootFailed, FirmwareCrashed, GlbRequestsIgnored } from "../../services/firmware/firmwareEvents.ts";
import { MemoryPressureApplied } from "../../services/memory/memoryEvents.ts";
import { AsFaultRaised } from "../../services/mmu/mmuEvents.ts";
import { FrequencyChangeRejected } from "../../services/power/powerEvents.ts";
import { ClockEnableFailed, RegulatorEnableFailed } from "../../services/power/supplyEvents.ts";
import { MmioReadCompleted, MmioReadIssued } from "../../services/regs/regsEvents.ts";
import { JobCompleted, JobFaulted, JobStarted } from "../../services/shader/shaderEvents.ts";
import { gpuOf, refOf, type EventRef } from "./eventRef.ts";
import type { GpuContext, GpuStates } from "./gpuState.ts";
import type { LogEnd } from "./invariants/index.ts";

/** What stopped or failed, by kind. */
export type FailureKind =
  | "job-faulted" | "job-hung" | "cs-fault" | "mmu-fault" | "mmu-fault-unhandled" | "spurious-mmu-interrupt" | "firmware-crashed"
  | "firmware-boot-failed" | "firmware-unresponsive" | "probe-failed" | "supply-failed" | "dvfs-refused" | "memory-pressure" | "fence-deadlock" | "runtime-error"
  | "job-timed-out" | "firmware-watchdog" | "reset-failed" | "register-read-unanswered"
  | "lockdep-report" | "spinlock-deadlock" | "hard-lockup";

/** One thing that stopped or failed: the event that shows it, since when, and the GPU's state right after. */
export interface Symptom {
  readonly kind: FailureKind;
  readonly gpu: number;
  readonly event: EventRef;
  readonly summary: string;
  /** How many times it happened (repeats of the same symptom are counted, not listed). */
  count: number;
  readonly context: GpuContext;
}

/** The events the detector reads; no other one shows or ends a failure. */
const READS: ReadonlySet<string> = new Set([
  MmioReadIssued, MmioReadCompleted, JobFaulted, JobStarted, JobCompleted, CsFaultRaised, AsFaultRaised, MmuFaultHandled, FirmwareCrashed, FirmwareBootFailed,
  GlbRequestsIgnored, ProbeStepFailed, ClockEnableFailed, RegulatorEnableFailed, FrequencyChangeRejected, MemoryPressureApplied, FenceDeadlockDetected,
  JobFenceSignalled, FwPingTimedOut, LockdepInconsistentUsage, SpinlockDeadlocked, HardLockupDetected, DeviceResetFailed, MessageRejected, ActorHandlerFailed,
].map((d) => d.type));

/** How many symptoms a report lists; beyond it they are only counted. */
export const MAX_SYMPTOMS = 200;

/**
 * Symptoms as a stream: each failing event of the log becomes a {@link Symptom} with its GPU's
 * context (`gpuState.ts`, fed before this). Some symptoms are absences noticed later: a job that
 * never ended, an MMU fault a registered driver never handled (a lost interrupt), a handled MMU
 * interrupt with no fault behind it (a spurious one).
 */
export class SymptomDetector {
  readonly symptoms: Symptom[] = [];
  overflow = 0;
  private readonly repeated = new Map<string, Symptom>();
  private readonly jobs = new Map<string, { ref: EventRef; dueNs: number | undefined; gpu: number; job: string; context: GpuContext }>();
  private readonly asFaults = new Map<string, { ref: EventRef; gpu: number; as: number; context: GpuContext }>();
  /** MMIO reads not answered yet (the register file answers in the same instant), by the read's id. */
  private readonly reads = new Map<string, { ref: EventRef; gpu: number; offset: number; tag: string; context: GpuContext }>();

  constructor(private readonly states: GpuStates) {}

  /** Look at one event of the log (after the GPU states have folded it). */
  push(e: Envelope): void {
    if (!READS.has(e.type)) return;
    const gpu = gpuOf(e) ?? 0;
    if (EventRegistry.is(MmioReadIssued, e)) this.reads.set(e.id, { ref: refOf(e), gpu, offset: e.payload.offset, tag: e.payload.tag, context: this.states.context(gpu) });
    else if (EventRegistry.is(MmioReadCompleted, e) && e.cause !== null) this.reads.delete(e.cause);
    if (EventRegistry.is(JobFaulted, e)) {
      const f = e.payload.fault;
      this.found(e, gpu, "job-faulted", `job ${e.payload.job} (AS${e.payload.as}) lost: ${e.payload.reason}${f === undefined ? "" : ` — ${f.exceptionName} at 0x${f.faultAddress.toString(16)}`}`);
      this.jobs.delete(`${gpu}/${e.payload.job}`);
    } else if (EventRegistry.is(JobStarted, e)) {
      const due = e.payload.durationNs === undefined ? undefined : e.timeNs + e.payload.durationNs;
      this.jobs.set(`${gpu}/${e.payload.job}`, { ref: refOf(e), dueNs: due, gpu, job: e.payload.job, context: this.states.context(gpu) });
      if (due === undefined) this.found(e, gpu, "job-hung", `job ${e.payload.job} (AS${e.payload.as}) started on cores 0x${e.payload.cores.toString(16)} and will never complete`);
    } else if (EventRegistry.is(JobCompleted, e)) {
      this.jobs.delete(`${gpu}/${e.payload.job}`);
    } else if (EventRegistry.is(CsFaultRaised, e)) {
      this.found(e, gpu, "cs-fault", `CSG${e.payload.csg} CS${e.payload.cs}: ${e.payload.fatal ? "CS_FATAL" : "CS_FAULT"} ${e.payload.exceptionName} — ${e.payload.message}`);
    } else if (EventRegistry.is(AsFaultRaised, e)) {
      this.found(e, gpu, "mmu-fault", `AS${e.payload.as}: ${e.payload.exceptionName} at 0x${e.payload.faultAddress.toString(16)}${e.payload.job === undefined ? "" : ` (job ${e.payload.job})`}`);
      const key = `${gpu}/${e.payload.as}`;
      if (this.states.driverRegistered(gpu) && !this.asFaults.has(key)) this.asFaults.set(key, { ref: refOf(e), gpu, as: e.payload.as, context: this.states.context(gpu) });
    } else if (EventRegistry.is(MmuFaultHandled, e)) {
      if (!this.asFaults.delete(`${gpu}/${e.payload.as}`)) {
        this.found(e, gpu, "spurious-mmu-interrupt", `the driver handled an MMU fault on AS${e.payload.as} that no access raised (AS_FAULTSTATUS 0x${e.payload.faultStatus.toString(16)})`);
      }
    } else if (EventRegistry.is(FirmwareCrashed, e)) {
      this.found(e, gpu, "firmware-crashed", `MCU firmware crashed (${e.payload.reason}, halt_status 0x${e.payload.haltStatus.toString(16)})`);
    } else if (EventRegistry.is(FirmwareBootFailed, e)) {
      this.found(e, gpu, "firmware-boot-failed", `MCU firmware did not boot: ${e.payload.reason} at 0x${e.payload.va.toString(16)}`);
    } else if (EventRegistry.is(GlbRequestsIgnored, e) && e.payload.reason === "ping-ignored") {
      this.found(e, gpu, "firmware-unresponsive", "the firmware left GLB_PING unacknowledged", "ping");
    } else if (EventRegistry.is(ProbeStepFailed, e)) {
      this.found(e, gpu, "probe-failed", `probe failed at ${e.payload.step}: ${e.payload.detail} (${e.payload.errno})`);
    } else if (EventRegistry.is(ClockEnableFailed, e) || EventRegistry.is(RegulatorEnableFailed, e)) {
      this.found(e, gpu, "supply-failed", `${e.type === ClockEnableFailed.type ? "clock" : "regulator"} ${e.payload.name}: enable failed (${e.payload.errno})`, `supply/${e.payload.name}`);
    } else if (EventRegistry.is(FrequencyChangeRejected, e) && e.payload.reason === "dvfs-stuck") {
      this.found(e, gpu, "dvfs-refused", `DVFS stuck: frequency change to ${e.payload.hz / 1e6} MHz refused`, "dvfs");
    } else if (EventRegistry.is(MemoryPressureApplied, e)) {
      this.found(e, gpu, "memory-pressure", `system RAM shrank by ${e.payload.bytes} bytes (${e.payload.availableBytes} left)`);
    } else if (EventRegistry.is(FenceDeadlockDetected, e)) {
      const { job, waitsOn } = e.payload;
      this.found(e, gpu, "fence-deadlock", `job ${job.job} (file ${job.file} group ${job.group} queue ${job.queue}) stuck: ${e.payload.thread} waits in reclaim for fence ${waitsOn.fence} it must signal itself; fences ${e.payload.stuckFences.join(", ")} never signal`);
    } else if (EventRegistry.is(JobFenceSignalled, e) && e.payload.error === -110) {
      this.found(e, gpu, "job-timed-out", `job ${e.payload.job} (file ${e.payload.file} group ${e.payload.group} queue ${e.payload.queue}) timed out after 5 s on its slot: fence ${e.payload.fence} signalled -ETIMEDOUT`);
    } else if (EventRegistry.is(FwPingTimedOut, e)) {
      this.found(e, gpu, "firmware-watchdog", "FW ping timeout: GLB_PING not acknowledged within 100 ms, the driver scheduled a reset");
    } else if (EventRegistry.is(LockdepInconsistentUsage, e)) {
      this.found(e, gpu, "lockdep-report", `lockdep: inconsistent usage of ${e.payload.lock} — a driver bug (the lock is taken with IRQs on and from an IRQ handler)`, `lockdep/${e.payload.lock}`);
    } else if (EventRegistry.is(SpinlockDeadlocked, e)) {
      const { holder, waiter } = e.payload;
      this.found(e, gpu, "spinlock-deadlock", `CPU${e.payload.cpu} deadlocked on ${e.payload.lock}: ${waiter.fn} (${waiter.context}) spins on the lock ${holder.fn} (${holder.context}, pid ${holder.pid}) holds since ${holder.sinceNs} ns and can never release`);
    } else if (EventRegistry.is(HardLockupDetected, e)) {
      this.found(e, gpu, "hard-lockup", `hard LOCKUP on CPU${e.payload.cpu} in ${e.payload.fn}: no timer interrupt for ${e.payload.stuckForNs / 1e9} s`);
    } else if (EventRegistry.is(DeviceResetFailed, e)) {
      this.found(e, gpu, "reset-failed", `GPU reset failed at ${e.payload.step} (${e.payload.errno}): ${e.payload.detail}`);
    } else if (EventRegistry.is(MessageRejected, e)) {
      this.found(e, gpu, "runtime-error", `message rejected on ${e.payload.subject}: ${e.payload.field}: ${e.payload.reason}`, `rejected/${e.payload.subject}/${e.payload.field}`);
    } else if (EventRegistry.is(ActorHandlerFailed, e)) {
      this.found(e, gpu, "runtime-error", `actor ${e.payload.actor} threw handling ${e.payload.event}: ${e.payload.error}`, `threw/${e.payload.actor}`);
    }
  }

  /** The absences the end of the log makes certain: jobs past their end, MMU faults never handled. */
  finish(end: LogEnd): void {
    for (const r of this.reads.values()) {
      this.add({ kind: "register-read-unanswered", gpu: r.gpu, event: r.ref, summary: `the driver's read of register 0x${r.offset.toString(16)} (${r.tag}) was never answered: the kernel task waiting for it is stuck`, count: 1, context: r.context });
    }
    for (const j of this.jobs.values()) {
      if (j.dueNs === undefined || j.dueNs > end.timeNs) continue;
      this.add({ kind: "job-hung", gpu: j.gpu, event: j.ref, summary: `job ${j.job} was due at ${j.dueNs} ns and never ended`, count: 1, context: j.context });
    }
    for (const f of this.asFaults.values()) {
      this.add({ kind: "mmu-fault-unhandled", gpu: f.gpu, event: f.ref, summary: `AS${f.as}'s fault was never handled by the driver (its MMU interrupt did not arrive)`, count: 1, context: f.context });
    }
  }

  /** `e` shows a failure of `kind` on `gpu` (a method, not a closure per event: most events show none). */
  private found(e: Envelope, gpu: number, kind: FailureKind, summary: string, repeatKey?: string): void {
    this.add({ kind, gpu, event: refOf(e), summary, count: 1, context: this.states.context(gpu) }, repeatKey);
  }

  private add(s: Symptom, repeatKey?: string): void {
    const key = repeatKey === undefined ? undefined : `${s.gpu}/${s.kind}/${repeatKey}`;
    const seen = key === undefined ? undefined : this.repeated.get(key);
    if (seen !== undefined) return void seen.count++;
    if (this.symptoms.length >= MAX_SYMPTOMS) return void this.overflow++;
    this.symptoms.push(s);
    if (key !== undefined) this.repeated.set(key, s);
  }
}
