import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { hostMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { GPU_CONTROL as G, registerName } from "../../shared/gpu/registers.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { AsCommandCompleted, AsCommandIssued, AsFaultRaised, hex64 } from "../mmu/mmuEvents.ts";
import { mmuPaths } from "../mmu/mmuPaths.ts";
import { PowerDomainChanged, PowerOffRequested, PowerOnRequested, PowerTransitionStarted } from "../power/powerEvents.ts";
import { powerPaths } from "../power/powerService.ts";
import { createGpuControlMachine, type GpuControlTiming } from "./gpuControlMachine.ts";
import { RegisterFile, type RegisterFileConfig, type WriteEffect } from "./registerFile.ts";
import {
  DoorbellRung, GpuSoftResetCompleted, IrqLineChanged, IrqRaised, McuControlWritten, McuStatusChanged, MmioReadCompleted,
  MmioReadIssued, MmioWriteIssued, RegisterWriteIgnored, type IrqLine,
} from "./regsEvents.ts";
import { createRegsFaults } from "./regsFaults.ts";
import { regsPaths } from "./regsPaths.ts";

/** Configuration of a GPU's register file, from its model (`regsConfigFromModel`). */
export interface RegsConfig extends RegisterFileConfig, GpuControlTiming {
  /** GPU index: the actor is `gpu<N>.regs`. */
  readonly gpu: number;
}

/**
 * The register file of one GPU as an actor (`gpu<N>.regs`): the MMIO boundary between the
 * driver and the hardware blocks. Reads (`MmioReadIssued`) are answered in the same instant;
 * writes with side effects become the blocks' input events (PWRON/PWROFF → power controller,
 * AS_COMMAND → MMU, doorbells and MCU_CONTROL → firmware); the blocks' facts (power
 * transitions, AS command completion, MMU faults, raised IRQ bits) update the registers. Every
 * change of an interrupt line's level is published as `IrqLineChanged`. GPU_CMD's soft reset and
 * cache flush take the model's virtual time (`gpuControlMachine.ts`). Injected faults on
 * `fault.inject` — lost and spurious interrupts, a soft reset that never completes — are applied
 * here (`regsFaults.ts`).
 */
export function regsActor(config: RegsConfig): ActorSpec {
  const paths = regsPaths(config.gpu);
  const mmu = mmuPaths(config.gpu);
  const pwr = powerPaths(config.gpu);
  return {
    name: `gpu${config.gpu}.regs`,
    subscribes: [paths.mmio, paths.raise, paths.mcuStatus, pwr.state, mmu.status, mmu.fault, INJECT_PATH],
    create(ctx: ActorContext): ActorBehaviour {
      const rf = new RegisterFile(config);
      const faults = createRegsFaults(ctx, config.gpu, { raise: (line, bits) => rf.raise(line, bits) });
      /** Publish `line`'s level if it changed from INT_STAT `before`. */
      const publishIfChanged = (line: IrqLine, before: number): void => {
        const after = rf.status(line);
        if ((before !== 0) === (after !== 0) || !faults.publishLevel(line, after !== 0, after)) return;
        ctx.publish(IrqLineChanged, paths.irq, { line, asserted: after !== 0, status: after });
      };
      /**
       * Run `fn`, then publish every interrupt line whose level it changed, in the order of
       * `RegisterFile.lines()` (gpu, job, mmu). Runs for every event the register file sees, so the
       * three INT_STAT values live in locals rather than two records per event.
       */
      const withIrqs = (fn: () => void): void => {
        const gpu = rf.status("gpu");
        const job = rf.status("job");
        const mmu = rf.status("mmu");
        fn();
        publishIfChanged("gpu", gpu);
        publishIfChanged("job", job);
        publishIfChanged("mmu", mmu);
      };
      const ignore = (offset: number, value: number, reason: "read-only" | "unknown-register" | "not-present" | "busy" | "unsupported"): void => {
        ctx.publish(RegisterWriteIgnored, paths.error, { offset, name: registerName(offset), value, reason });
      };
      const control = hostMachine(
        ctx,
        createGpuControlMachine(config, {
          resetDone: (kind) =>
            withIrqs(() => {
              rf.softReset();
              ctx.publish(GpuSoftResetCompleted, paths.reset, { kind });
            }),
          flushDone: () => withIrqs(() => rf.cachesFlushed()),
          busy: (value) => ignore(G.GPU_CMD, value, "busy"),
        }),
        { id: `${ctx.name}.gpu-control` },
      );

      const apply = (offset: number, value: number, effect: WriteEffect): void => {
        switch (effect.kind) {
          case "none":
            return;
          case "power":
            ctx.publish(effect.on ? PowerOnRequested : PowerOffRequested, pwr.cmd, { domain: effect.domain, mask: effect.mask });
            return;
          case "gpuCommand": {
            const c = effect.command;
            if (c.kind === "UNKNOWN") return ignore(offset, value, "unsupported");
            if (c.kind === "SOFT_RESET" && control.getSnapshot().value !== "resetting" && faults.resetSticks()) {
              sendChecked(control, { type: "STUCK_RESET", value });
              return;
            }
            sendChecked(control, c.kind === "FLUSH_CACHES" ? { type: "FLUSH_CACHES", value } : { type: "RESET", kind: c.kind === "SOFT_RESET" ? "soft" : "hard", value });
            return;
          }
          case "asCommand": {
            const r = rf.asRegisters(effect.as);
            ctx.publish(AsCommandIssued, mmu.cmd, {
              as: effect.as,
              command: effect.command,
              transtab: hex64(r.transtab),
              memattr: hex64(r.memattr),
              transcfg: hex64(r.transcfg),
              lockaddr: hex64(r.lockaddr),
              faultPending: rf.asFaultPending(effect.as),
            });
            return;
          }
          case "doorbell":
            ctx.publish(DoorbellRung, paths.doorbell, { doorbell: effect.doorbell });
            return;
          case "mcuControl":
            ctx.publish(McuControlWritten, paths.mcuControl, { value: effect.value });
            return;
          case "ignored":
            ignore(offset, value, effect.reason);
        }
      };

      return {
        handle(e: Envelope) {
          withIrqs(() => {
            faults.offer(e);
            if (EventRegistry.is(MmioReadIssued, e)) {
              const { offset, tag } = e.payload;
              ctx.publish(MmioReadCompleted, paths.read, { offset, value: rf.read(offset, ctx.nowNs()), tag, name: registerName(offset) });
            } else if (EventRegistry.is(MmioWriteIssued, e)) {
              apply(e.payload.offset, e.payload.value, rf.write(e.payload.offset, e.payload.value));
            } else if (EventRegistry.is(PowerTransitionStarted, e)) {
              rf.powerTransitionStarted(e.payload.domain, e.payload.trans);
            } else if (EventRegistry.is(PowerDomainChanged, e)) {
              rf.powerChanged(e.payload.domain, e.payload.ready, e.payload.trans);
            } else if (EventRegistry.is(AsCommandCompleted, e)) {
              rf.asCommandCompleted(e.payload.as);
            } else if (EventRegistry.is(AsFaultRaised, e)) {
              rf.asFault(e.payload.as, e.payload.faultStatus, e.payload.faultAddress);
            } else if (EventRegistry.is(IrqRaised, e)) {
              rf.raise(e.payload.line, e.payload.bits);
            } else if (EventRegistry.is(McuStatusChanged, e)) {
              rf.mcuStatusChanged(e.payload.status);
            }
          });
        },
        snapshot() {
          return { gpuControl: control.getSnapshot().value, registers: rf.snapshot(registerName), faults: faults.snapshot() };
        },
      };
    },
  };
}
