/**
 * Booting the MCU and bringing up its global interface (panthor.md §3.2, §3.4, §3.7), as the
 * probe's firmware step runs it: `panthor_fw_start` (JOB_INT cleared and unmasked,
 * MCU_CONTROL = AUTO, wait up to 1000 ms for the job IRQ handler to see GLOBAL_IF and set
 * `fw->booted`), `panthor_fw_init_ifaces` (the control blocks read and checked from the shared
 * section) and `panthor_fw_init_global_iface` (core mask, timers, IRQ mask, IDLE_EN and the CFG
 * toggles, global doorbell, 100 ms for the acks).
 *
 * `panthor_fw_init_global_iface` also arms the ping watchdog (12 s, `fwPing.ts`), at boot and
 * after every resume or reset.
 *
 * Simplified: GLB_COUNTER_EN (driver 1.6) is not set, the device reports 1.5.
 */
import { GPU_CONTROL as G, JOB_CONTROL as J } from "../../../shared/gpu/registers.ts";
import { MCU_CONTROL, MCU_STATUS } from "../../../shared/gpu/registerFields.ts";
import { discoverInterfaces, type DiscoveryResult } from "../../firmware/interfaceDiscovery.ts";
import { GLB, GLB_TIMER } from "../../firmware/interfaceBits.ts";
import { GLB_INPUT } from "../../firmware/interfaces.ts";
import { toggleReqs, updateReqs } from "../../firmware/reqAck.ts";
import { nowNs, readl, waitEvent, writel, type KTask } from "../ktask.ts";
import { glbReqAck, ifaces, ringGlbDoorbell, waitGlbAcks } from "./fwIface.ts";
import type { FwDevice } from "./fwTypes.ts";

const MS = 1_000_000;

/** `PING_INTERVAL_MS`: the firmware watchdog pings every 12 s (`fwPing.ts`). */
export const PING_INTERVAL_NS = 12_000 * MS;
/** `panthor_fw_start`'s wait for the MCU: 1000 ms. */
export const FW_BOOT_TIMEOUT_NS = 1000 * MS;
/** `PWROFF_HYSTERESIS_US`: shader-core power-off hysteresis. */
export const PWROFF_HYSTERESIS_US = 10_000;
/** `IDLE_HYSTERESIS_US`: GLB idle hysteresis. */
export const IDLE_HYSTERESIS_US = 800;
/** `PROGRESS_TIMEOUT_CYCLES >> 10`: the progress timer in 1024-cycle units. */
export const PROGRESS_TIMER = (5 * 500 * 1024 * 1024) / 1024;

/** MCU_STATUS as `panthor_fw_start`'s error message decodes it. */
const MCU_STATUS_NAMES: Readonly<Record<number, string>> = {
  [MCU_STATUS.DISABLED]: "disabled", [MCU_STATUS.ENABLED]: "enabled", [MCU_STATUS.HALT]: "halt", [MCU_STATUS.FATAL]: "fatal",
};

/**
 * `panthor_fw_conv_timeout(ptdev, timeout_us)`: µs → GLB timer units (1024 ticks of the arch
 * timer), rounded up; the GPU cycle counter (bit 31) when no timer frequency is known.
 */
export function fwConvTimeout(us: number, timerHz: number, gpuHz: number): number {
  const useCycles = timerHz === 0;
  const rate = useCycles ? gpuHz : timerHz;
  const units = Math.ceil((us * rate) / (1_000_000 * 1024));
  return ((units & GLB_TIMER.VAL_MASK) + (useCycles ? GLB_TIMER.SOURCE_GPU_COUNTER : 0)) >>> 0;
}

/** Outcome of the MCU start: booted, or the MCU_STATUS it was left in. */
export type FwStartResult = { readonly ok: true } | { readonly ok: false; readonly status: string };

/** `panthor_fw_start`: JOB_INT cleared and unmasked, MCU_CONTROL = AUTO, wait ≤ 1000 ms for `fw->booted`. */
export function* panthorFwStart(fw: FwDevice): KTask<FwStartResult> {
  fw.booted = false;
  yield* writel(J.JOB_INT_CLEAR, 0xffff_ffff);
  yield* writel(J.JOB_INT_MASK, 0xffff_ffff);
  yield* writel(G.MCU_CONTROL, MCU_CONTROL.AUTO);
  const booted = yield* waitEvent(() => (fw.booted ? true : undefined), FW_BOOT_TIMEOUT_NS);
  if (booted === true) return { ok: true };
  const status = yield* readl(G.MCU_STATUS);
  return { ok: false, status: MCU_STATUS_NAMES[status] ?? `0x${status.toString(16)}` };
}

/** `panthor_fw_stop`: MCU_CONTROL = DISABLE (the 100 ms poll for DISABLED is left to the caller's next steps). */
export function* panthorFwStop(): KTask<void> {
  yield* writel(G.MCU_CONTROL, MCU_CONTROL.DISABLE);
}

/** `panthor_fw_init_ifaces`: read and check the control blocks in the shared section. */
export function readInterfaces(fw: FwDevice): DiscoveryResult {
  const shared = fw.sections.find((s) => s.shared)!;
  return discoverInterfaces(fw.shared.read(shared.va.start, shared.va.end - shared.va.start), shared.va.start);
}

/**
 * `panthor_fw_init_global_iface`: every core enabled, the power-off, progress and idle timers,
 * the IRQ mask, IDLE_EN (a config bit) and the CFG toggles; doorbell 0; true when acknowledged
 * within 100 ms.
 */
export function* initGlobalIface(fw: FwDevice, clocks: { readonly shaderPresent: number; readonly timerHz: number; readonly gpuHz: number }): KTask<boolean> {
  const { timerHz, gpuHz } = clocks;
  const toggles = (GLB.CFG_ALLOC_EN | GLB.CFG_POWEROFF_TIMER | GLB.CFG_PROGRESS_TIMER) >>> 0;
  const { req, ack } = glbReqAck(fw);
  yield* fw.shared.write(ifaces(fw).glb.input, GLB_INPUT, {
    core_en_mask: clocks.shaderPresent,
    poweroff_timer: fwConvTimeout(PWROFF_HYSTERESIS_US, timerHz, gpuHz),
    progress_timer: PROGRESS_TIMER,
    idle_timer: fwConvTimeout(IDLE_HYSTERESIS_US, timerHz, gpuHz),
    ack_irq_mask: (GLB.CFG_ALLOC_EN | GLB.PING | GLB.CFG_PROGRESS_TIMER | GLB.CFG_POWEROFF_TIMER | GLB.IDLE_EN | GLB.IDLE) >>> 0,
    req: toggleReqs(updateReqs(req, GLB.IDLE_EN, GLB.IDLE_EN), ack, toggles),
  });
  yield* ringGlbDoorbell();
  const acked = yield* waitGlbAcks(fw, (toggles | GLB.IDLE_EN) >>> 0);
  // Step 7: arm the watchdog (`mod_delayed_work(…, ping_work, PING_INTERVAL_MS)`).
  if (acked) fw.watchdog.nextPingNs = (yield* nowNs()) + PING_INTERVAL_NS;
  return acked;
}
