import type { ActorContext } from "../../shared/actor/actor.ts";
import { hostMachine, type HostedMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AsViews } from "./asViews.ts";
import { CsExecutor } from "./csExecutor.ts";
import { commitSlice, completeJob, type JobEnd } from "./csEffects.ts";
import { csgSlotMachineOf, runningSlot } from "./csgControl.ts";
import { createDoorbellMachine, RungDoorbells } from "./doorbellMachine.ts";
import type { FirmwareFaults } from "./firmwareFaults.ts";
import type { FirmwareConfig } from "./firmwareConfig.ts";
import { FwRuntime } from "./firmwareRuntime.ts";
import { createGlbState, type BootedImage, type CsSlot, type CsgSlot, type GlbState, type JobRecord } from "./firmwareState.ts";
import { handleDoorbells } from "./glbControl.ts";
import { bootDeps, onBootTranslation, type BootTranslation } from "./mcuBoot.ts";
import { createMcuMachine } from "./mcuMachine.ts";
import { PendingWrites } from "./pendingWrites.ts";
import type { SavedCsg } from "./suspendBuffers.ts";

/**
 * The simulated CSF firmware of one GPU: its machines (MCU lifecycle, doorbell handling, one
 * per CSG slot), its runtime data (global interface, slots, jobs on the cores) and the CS
 * executor. The modules beside it implement the protocol pieces — boot (`mcuBoot.ts`), the
 * global interface (`glbControl.ts`), CSG slots (`csgControl.ts`), CS slots (`csControl.ts`)
 * and what a CS's execution causes (`csEffects.ts`); the actor (`firmwareService.ts`) feeds it
 * events. Mirrors what `panthor_fw.c`/`panthor_sched.c` expect of the MCU side.
 */
export class Firmware {
  readonly fw: FwRuntime;
  readonly executor: CsExecutor;
  readonly mcu: HostedMachine<ReturnType<typeof createMcuMachine>>;
  readonly doorbells: HostedMachine<ReturnType<typeof createDoorbellMachine>>;
  readonly jobs = new Map<string, JobRecord>();
  /** Doorbells rung and waiting for the doorbell machine's next pass. */
  readonly rung = new RungDoorbells();
  /** The CSG slot machine definition, shared by every slot of every boot. */
  readonly csgMachine: ReturnType<typeof csgSlotMachineOf>;
  image: BootedImage | null = null;
  glb: GlbState;
  slots: CsgSlot[] = [];
  /** Contexts of suspended groups, by suspend-buffer MCU VA (`suspendBuffers.ts`). */
  readonly suspended = new Map<number, SavedCsg>();
  jobSerial = 0;
  bootSerial = 0;
  /** Injected faults' hooks (set by the actor): a crash waiting for the MCU to run, ignored pings. */
  faults: Pick<FirmwareFaults, "started" | "pingIgnored"> | undefined;
  /** The boot descriptor and firmware block read during `fetchingImage`, before the shared section is mapped. */
  pendingImage: Pick<BootedImage, "descriptor" | "fw" | "layout"> | null = null;

  constructor(ctx: ActorContext, config: FirmwareConfig, mem: PhysicalMemory) {
    this.fw = new FwRuntime(ctx, config, new AsViews(mem, config), new PendingWrites());
    this.glb = createGlbState(config.shaderPresent, config.timing.defaultIdleNs);
    this.executor = new CsExecutor(this.fw, {
      streams: () => this.schedulableStreams(),
      group: (cs) => this.slotOf(cs),
      commit: (cs, result, session) => commitSlice(this, cs, result, session),
    });
    this.csgMachine = csgSlotMachineOf(this);
    this.mcu = hostMachine(ctx, createMcuMachine(config.timing.bootNs, bootDeps(this)), { id: `${ctx.name}.mcu` });
    this.doorbells = hostMachine(
      ctx,
      createDoorbellMachine(config.timing.requestNs, {
        handle: (ignorePings) => {
          const bells = this.rung.take();
          this.fw.batch(() => handleDoorbells(this, bells, ignorePings));
        },
        forget: () => this.rung.clear(),
      }),
      { id: `${ctx.name}.doorbells` },
    );
  }

  /** The MCU executes and answers (state `running`). */
  get running(): boolean {
    return this.mcu.getSnapshot().value === "running";
  }

  /** Streams of running CSGs that are started, not parked and not held by a TILER_OOM (asked before every slice). */
  schedulableStreams(): CsSlot[] {
    const out: CsSlot[] = [];
    for (const s of this.slots) {
      if (!runningSlot(s)) continue;
      for (const c of s.cs) if (c.started && !c.parked && c.oom === null) out.push(c);
    }
    return out;
  }

  /** The CSG slot of a stream. */
  slotOf(cs: CsSlot): CsgSlot {
    return this.slots[cs.csg]!;
  }

  /** MCU_CONTROL written: DISABLE 0 stops the MCU; ENABLE 1 and AUTO 2 start it. */
  mcuControl(value: number): void {
    if (value === 0) sendChecked(this.mcu, { type: "DISABLE" });
    else if (value === 1 || value === 2) sendChecked(this.mcu, { type: "ENABLE" });
  }

  /** A doorbell page was written. Doorbells reach a running MCU only; one already waiting for a pass joins it. */
  doorbell(doorbell: number): void {
    if (this.running && this.rung.ring(doorbell)) sendChecked(this.doorbells, { type: "RING" });
  }

  /** The MMU answered one of the boot translations. */
  translated(answer: BootTranslation): void {
    onBootTranslation(this, answer);
  }

  /** The shader cores finished (or lost) a job the firmware dispatched. */
  jobEnded(end: JobEnd): void {
    completeJob(this, end);
  }

  /** An injected fault. */
  inject(kind: "crash" | "ignore-ping"): void {
    if (kind === "crash") sendChecked(this.mcu, { type: "CRASH" });
    else sendChecked(this.doorbells, { type: "IGNORE_PINGS" });
  }

  /** A GPU soft reset: the MCU and every AS forget their state. */
  gpuReset(): void {
    sendChecked(this.mcu, { type: "RESET" });
    sendChecked(this.doorbells, { type: "RESET" });
    this.fw.views.reset();
  }

  /**
   * Drop the runtime state (MCU disabled, reset, or cold boot). The contexts saved for suspend
   * buffers stay: those buffers are host memory, which neither a GPU reset nor a firmware reload
   * touches, so a group suspended before a reset resumes from its buffer afterwards (panthor's
   * recovery relies on it, panthor.md §4.8). Jobs such a context had on the shader cores are lost
   * with the reset; their ends (faults) are replayed on RESUME.
   */
  dropRuntime(): void {
    this.executor.stop();
    for (const s of this.slots) s.machine.stop();
    this.slots = [];
    this.jobs.clear();
    this.glb = createGlbState(this.fw.config.shaderPresent, this.fw.config.timing.defaultIdleNs);
    sendChecked(this.doorbells, { type: "STOP" });
  }

  /** The firmware's state as plain JSON. */
  snapshot(): unknown {
    return {
      mcu: this.mcu.getSnapshot().value,
      doorbells: this.doorbells.getSnapshot().value,
      glb: this.image === null ? null : { ...this.glb, out: { ...this.glb.out } },
      csg: this.slots.map((s) => ({
        state: s.machine.getSnapshot().value,
        priority: s.priority,
        as: s.as,
        jobsOutstanding: s.jobsOutstanding,
        cs: s.cs.filter((c) => c.state !== null).map((c) => ({
          cs: c.index, started: c.started, extract: c.state!.ring.extract, insert: c.state!.ring.insert,
          block: c.state!.block?.kind ?? null, fatal: c.state!.fatal?.exceptionType ?? null, retired: c.state!.retired,
        })),
      })),
      jobs: this.jobs.size,
      executed: this.executor.executed,
      pendingWrites: this.fw.pending.size,
    };
  }
}
