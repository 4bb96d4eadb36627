import { EventRegistry } from "../../../shared/events/registry.ts";
import { MCU_STATUS } from "../../../shared/gpu/registers.ts";
import { GpuSoftResetCompleted, McuStatusChanged } from "../../../services/regs/regsEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

const NAMES = ["DISABLED", "ENABLED", "HALT", "FATAL"] as const;
const { DISABLED, ENABLED, HALT, FATAL } = MCU_STATUS;

/**
 * The MCU_STATUS changes the MCU can make (`mcuMachine.ts`, panthor's `panthor_fw_start/halt/stop`):
 * DISABLED → ENABLED (boot), ENABLED → HALT (GLB_HALT), HALT → ENABLED (fast restart), ENABLED →
 * FATAL (crash), anything → DISABLED (MCU_CONTROL DISABLE; a soft reset zeroes MCU_STATUS too). A
 * repeated status is no transition.
 */
export function mcuTransitionLegal(from: number, to: number): boolean {
  if (from === to || to === DISABLED) return true;
  return (from === DISABLED && to === ENABLED) || (from === ENABLED && (to === HALT || to === FATAL)) || (from === HALT && to === ENABLED);
}

/** MCU status transitions are legal (see {@link mcuTransitionLegal}). */
export const mcuStatusTransitions: InvariantDef = {
  name: "mcu-status-transitions",
  statement: "MCU_STATUS changes only along DISABLED→ENABLED⇄HALT, ENABLED→FATAL, any→DISABLED",
  reads: [GpuSoftResetCompleted, McuStatusChanged],
  create(report) {
    const status = new Map<number, { value: number; ref: EventRef | undefined }>();
    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(GpuSoftResetCompleted, e)) status.set(gpu, { value: DISABLED, ref: refOf(e) });
        if (!EventRegistry.is(McuStatusChanged, e)) return;
        const prev = status.get(gpu) ?? { value: DISABLED, ref: undefined };
        const to = e.payload.status;
        if (!mcuTransitionLegal(prev.value, to)) {
          report({
            message: `MCU_STATUS went ${NAMES[prev.value] ?? prev.value} → ${NAMES[to] ?? to}`,
            timeNs: e.timeNs, gpu, events: prev.ref === undefined ? [refOf(e)] : [prev.ref, refOf(e)],
          });
        }
        status.set(gpu, { value: to, ref: refOf(e) });
      },
      finish() {},
    };
  },
};
