import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { DeviceProbeFailed, DrmDeviceRegistered, ProbeStepCompleted, ProbeStepFailed } from "../../services/driver/driverEvents.ts";
import { MmuFaultHandled } from "../../services/driver/uapi/uapiEvents.ts";
import { CsgStateChanged, FirmwareBootFailed, FirmwareBooted, FirmwareCrashed } from "../../services/firmware/firmwareEvents.ts";
import { AsFaultRaised } from "../../services/mmu/mmuEvents.ts";
import { FrequencyChanged, PowerDomainChanged } from "../../services/power/powerEvents.ts";
import { ClockEnableFailed, ClockStateChanged, RegulatorEnableFailed, RegulatorStateChanged } from "../../services/power/supplyEvents.ts";
import { GpuSoftResetCompleted, IrqLineChanged, McuStatusChanged } from "../../services/regs/regsEvents.ts";
import { JobCompleted, JobFaulted, JobStarted } from "../../services/shader/shaderEvents.ts";
import { gpuOf } from "./eventRef.ts";

const MCU = ["DISABLED", "ENABLED", "HALT", "FATAL"];

/** What the GPU and its driver were doing at some point of the log: the context a report gives a failure. */
export interface GpuContext {
  readonly gpu: number;
  /** READY masks per power domain, hex. */
  readonly power: Readonly<Record<string, string>>;
  readonly oppMHz: number | null;
  /** Supplies that are off or failed, `name: state`. */
  readonly supplies: Readonly<Record<string, string>>;
  readonly mcu: string;
  readonly firmware: string;
  /** CSG slot → group state. */
  readonly csg: Readonly<Record<string, string>>;
  /** ASes with a latched, unhandled fault. */
  readonly faultedAs: readonly number[];
  readonly irqAsserted: readonly string[];
  readonly jobsRunning: number;
  readonly driver: string;
}

/** One GPU's folded state. */
class GpuFold {
  power: Record<string, number> = {};
  hz: number | null = null;
  supplies: Record<string, string> = {};
  mcu = 0;
  firmware = "not booted";
  csg: Record<string, string> = {};
  faultedAs = new Set<number>();
  irq = new Set<string>();
  jobs = new Set<string>();
  driver = "not bound";
  /** Its context as last built, until the next event changes it. */
  context: GpuContext | undefined;
}

/** The events the fold reads; every other one leaves every GPU's state as it was. */
const FOLDED: ReadonlySet<string> = new Set([
  PowerDomainChanged, FrequencyChanged, ClockStateChanged, RegulatorStateChanged, ClockEnableFailed, RegulatorEnableFailed, McuStatusChanged, FirmwareBooted,
  FirmwareCrashed, FirmwareBootFailed, CsgStateChanged, AsFaultRaised, MmuFaultHandled, IrqLineChanged, JobStarted, JobCompleted, JobFaulted, ProbeStepCompleted,
  ProbeStepFailed, DeviceProbeFailed, DrmDeviceRegistered, GpuSoftResetCompleted,
].map((d) => d.type));

/**
 * Every GPU's state folded from the log — power, OPP, supplies, MCU and firmware, CSG slots,
 * faulted ASes, asserted IRQ lines, running jobs, the driver's probe stage — so a failure can be
 * reported with the state around it. Small per GPU, whatever the log's length.
 */
export class GpuStates {
  private readonly gpus = new Map<number, GpuFold>();

  /** Fold one event of the log into its GPU's state. */
  push(e: Envelope): void {
    if (!FOLDED.has(e.type)) return;
    const gpu = gpuOf(e);
    if (gpu === undefined) return;
    const s = this.gpus.get(gpu) ?? this.gpus.set(gpu, new GpuFold()).get(gpu)!;
    s.context = undefined;
    if (EventRegistry.is(PowerDomainChanged, e)) s.power[e.payload.domain] = e.payload.ready;
    else if (EventRegistry.is(FrequencyChanged, e)) s.hz = e.payload.hz;
    else if (EventRegistry.is(ClockStateChanged, e)) s.supplies[e.payload.clock] = e.payload.enabled ? "on" : "off";
    else if (EventRegistry.is(RegulatorStateChanged, e)) s.supplies[e.payload.regulator] = e.payload.enabled ? "on" : "off";
    else if (EventRegistry.is(ClockEnableFailed, e) || EventRegistry.is(RegulatorEnableFailed, e)) s.supplies[e.payload.name] = `failed (${e.payload.errno})`;
    else if (EventRegistry.is(McuStatusChanged, e)) s.mcu = e.payload.status;
    else if (EventRegistry.is(FirmwareBooted, e)) s.firmware = `booted ${e.payload.version}`;
    else if (EventRegistry.is(FirmwareCrashed, e)) s.firmware = "crashed";
    else if (EventRegistry.is(FirmwareBootFailed, e)) s.firmware = `boot failed (${e.payload.reason})`;
    else if (EventRegistry.is(CsgStateChanged, e)) s.csg[String(e.payload.csg)] = `${e.payload.state} (AS${e.payload.as})`;
    else if (EventRegistry.is(AsFaultRaised, e)) s.faultedAs.add(e.payload.as);
    else if (EventRegistry.is(MmuFaultHandled, e)) s.faultedAs.delete(e.payload.as);
    else if (EventRegistry.is(IrqLineChanged, e)) {
      if (e.payload.asserted) s.irq.add(e.payload.line);
      else s.irq.delete(e.payload.line);
    }
    else if (EventRegistry.is(JobStarted, e)) s.jobs.add(e.payload.job);
    else if (EventRegistry.is(JobCompleted, e) || EventRegistry.is(JobFaulted, e)) s.jobs.delete(e.payload.job);
    else if (EventRegistry.is(ProbeStepCompleted, e)) s.driver = `probing (${e.payload.step} done)`;
    else if (EventRegistry.is(ProbeStepFailed, e)) s.driver = `probe failed at ${e.payload.step} (${e.payload.errno})`;
    else if (EventRegistry.is(DeviceProbeFailed, e)) s.driver = `not bound: probe failed at ${e.payload.step} (${e.payload.errno})`;
    else if (EventRegistry.is(DrmDeviceRegistered, e)) s.driver = "registered";
    else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
      s.power = {};
      s.mcu = 0;
      s.faultedAs.clear();
      s.jobs.clear();
    }
  }

  /** Has GPU `gpu`'s driver registered its DRM device (so it handles interrupts)? */
  driverRegistered(gpu: number): boolean {
    return this.gpus.get(gpu)?.driver === "registered";
  }

  /**
   * The context of GPU `gpu` now. Built once per state: the symptom detector asks it for every
   * register read (in case the read is never answered), and a context is a value nobody changes,
   * so the reads between two state changes share one.
   */
  context(gpu: number): GpuContext {
    const s = this.gpus.get(gpu);
    if (s === undefined) return contextOf(gpu, new GpuFold());
    return (s.context ??= contextOf(gpu, s));
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** The context of GPU `gpu` in state `s`. */
function contextOf(gpu: number, s: GpuFold): GpuContext {
  return {
    gpu,
    power: Object.fromEntries(Object.entries(s.power).map(([d, m]) => [d, hex(m)])),
    oppMHz: s.hz === null ? null : s.hz / 1e6,
    supplies: Object.fromEntries(Object.entries(s.supplies).filter(([, v]) => v !== "on")),
    mcu: MCU[s.mcu] ?? String(s.mcu),
    firmware: s.firmware,
    csg: { ...s.csg },
    faultedAs: [...s.faultedAs].sort((a, b) => a - b),
    irqAsserted: [...s.irq].sort(),
    jobsRunning: s.jobs.size,
    driver: s.driver,
  };
}
