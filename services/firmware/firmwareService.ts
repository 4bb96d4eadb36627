import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { EXCEPTION } from "../../shared/gpu/exceptions.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { MemoryWritten } from "../memory/memoryEvents.ts";
import { memoryPaths } from "../memory/memoryReplica.ts";
import { AsCommandCompleted, AsCommandIssued, TranslationCompleted } from "../mmu/mmuEvents.ts";
import { mmuPaths } from "../mmu/mmuPaths.ts";
import { DoorbellRung, GpuSoftResetCompleted, McuControlWritten } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import { JobCompleted, JobFaulted } from "../shader/shaderEvents.ts";
import { shaderPaths } from "../shader/shaderPaths.ts";
import type { JobOutcome } from "./cs/interpreter.ts";
import { Firmware } from "./firmware.ts";
import type { FirmwareConfig } from "./firmwareConfig.ts";
import { FirmwareFaultInjected } from "./firmwareEvents.ts";
import { createFirmwareFaults } from "./firmwareFaults.ts";
import { firmwarePaths } from "./firmwarePaths.ts";

/**
 * The CSF MCU firmware of one GPU as an actor (`gpu<N>.fw`), the hardware side of
 * `panthor_fw.c` and `panthor_sched.c`. It listens to what reaches the MCU — MCU_CONTROL and
 * doorbell writes (from the register file), the driver's AS programming (to read memory through
 * the ASes itself), the MMU's answers to its boot translations, the shader cores' job ends, its
 * own memory writes being delivered, GPU resets and injected faults — and acts only through
 * events: `MemoryWritten` (agent `mcu`) for every byte it writes, `IrqRaised` for JOB_INT,
 * `McuStatusChanged`, `TranslationRequested`, `JobDispatched`, and its facts
 * (`firmwareEvents.ts`). The work is done by {@link Firmware} and the modules beside it; injected
 * crashes and ignored pings by `firmwareFaults.ts`.
 *
 * Must be hosted after the memory replica (it reads the RAM the replica writes) and after the
 * MMU and shader cores of its GPU (it answers their events in the same instant).
 */
export function firmwareActor(config: FirmwareConfig, mem: PhysicalMemory): ActorSpec {
  const regs = regsPaths(config.gpu);
  const mmu = mmuPaths(config.gpu);
  const fwPaths = firmwarePaths(config.gpu);
  return {
    name: `gpu${config.gpu}.fw`,
    subscribes: [
      regs.mcuControl, regs.doorbell, regs.reset, mmu.cmd, mmu.status, mmu.translated, shaderPaths(config.gpu).job,
      memoryPaths(config.gpu).write, fwPaths.inject, INJECT_PATH,
    ],
    create(ctx: ActorContext): ActorBehaviour {
      const f = new Firmware(ctx, config, mem);
      const faults = createFirmwareFaults(ctx, config.gpu, { running: () => f.running, inject: (kind) => f.inject(kind) });
      f.faults = faults;
      const handle = (e: Envelope): void => {
        faults.offer(e);
        if (EventRegistry.is(MemoryWritten, e)) {
          if (e.payload.agent === "mcu") f.fw.pending.delivered(e.id);
        } else if (EventRegistry.is(DoorbellRung, e)) {
          f.doorbell(e.payload.doorbell);
        } else if (EventRegistry.is(McuControlWritten, e)) {
          f.mcuControl(e.payload.value);
        } else if (EventRegistry.is(AsCommandIssued, e)) {
          f.fw.views.commandIssued(e.payload.as, e.payload.command, e.payload.transtab, e.payload.transcfg);
        } else if (EventRegistry.is(AsCommandCompleted, e)) {
          f.fw.views.commandCompleted(e.payload.as, e.payload.command);
        } else if (EventRegistry.is(TranslationCompleted, e)) {
          if (e.payload.requester === ctx.name) f.translated(e.payload);
        } else if (EventRegistry.is(JobCompleted, e)) {
          f.jobEnded({ job: e.payload.job, outcome: { ok: true } });
        } else if (EventRegistry.is(JobFaulted, e)) {
          f.jobEnded({ job: e.payload.job, outcome: jobFaultOutcome(e.payload) });
        } else if (EventRegistry.is(FirmwareFaultInjected, e)) {
          // Reported (FaultApplied) by `faults.offer` above.
          if (e.payload.gpu === config.gpu) f.inject(e.payload.kind);
        } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
          f.gpuReset();
        }
      };
      return {
        handle: (e) => f.fw.batch(() => handle(e)),
        snapshot: () => ({ ...(f.snapshot() as object), faults: faults.snapshot() }),
      };
    },
  };
}

/**
 * The exception a lost job reports to its stream (as CS_FAULT): an MMU fault keeps the MMU's
 * code; cores powered off or missing → CS_RES_TERM (resource terminated); an injected fault →
 * DATA_INVALID_FAULT. The last two are assumed: which code the endpoints report is not documented.
 */
function jobFaultOutcome(p: { reason: string; fault?: { exceptionType: number; faultAddress: number } }): JobOutcome {
  if (p.fault !== undefined) return { ok: false, exceptionType: p.fault.exceptionType, info: p.fault.faultAddress };
  const exceptionType = p.reason === "injected" ? EXCEPTION.DATA_INVALID_FAULT : EXCEPTION.CS_RES_TERM;
  return { ok: false, exceptionType };
}
