/**
 * The GPU-control half of runtime PM through MMIO (`panthor_gpu.c`, panthor.md §6.2): block
 * power on/off with panthor's polling, the IRQ suspend/resume of the `PANTHOR_IRQ_HANDLER`
 * macro, the soft reset of a slow suspend, and `panthor_gpu_suspend()` / `_resume()`.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { GPU_CMD, GPU_CONTROL as R, GPU_IRQ } from "../../../shared/gpu/registers.ts";
import { readl, readPollTimeout, writel, type KTask } from "../ktask.ts";

const US = 1_000;
const MS = 1_000_000;

/** `panthor_gpu_block_power_*` polling: every 100 µs, 20 ms timeout; soft reset: 100 ms (polled every 10 µs as at probe). */
export const GPU_POWER_TIMING = { pollNs: 100 * US, timeoutNs: 20 * MS, resetPollNs: 10 * US, resetTimeoutNs: 100 * MS } as const;

/** A power block: its PWRON, PWROFF, PWRTRANS and READY registers (low words: tyrsim's masks are 32-bit). */
export interface PowerBlock {
  readonly name: "l2" | "tiler" | "shader";
  readonly pwron: number;
  readonly pwroff: number;
  readonly pwrtrans: number;
  readonly ready: number;
}

/** The three blocks of the GPU_CONTROL page. */
export const BLOCKS = {
  l2: { name: "l2", pwron: R.L2_PWRON_LO, pwroff: R.L2_PWROFF_LO, pwrtrans: R.L2_PWRTRANS_LO, ready: R.L2_READY_LO },
  tiler: { name: "tiler", pwron: R.TILER_PWRON_LO, pwroff: R.TILER_PWROFF_LO, pwrtrans: R.TILER_PWRTRANS_LO, ready: R.TILER_READY_LO },
  shader: { name: "shader", pwron: R.SHADER_PWRON_LO, pwroff: R.SHADER_PWROFF_LO, pwrtrans: R.SHADER_PWRTRANS_LO, ready: R.SHADER_READY_LO },
} as const satisfies Record<string, PowerBlock>;

const { pollNs, timeoutNs } = GPU_POWER_TIMING;

/**
 * `panthor_gpu_block_power_on()`: wait for no transition on `mask`, write PWRON, poll READY until
 * every bit of `mask` is set. 0, or -ETIMEDOUT ("timeout waiting on %s:%llx power transition").
 */
export function* blockPowerOn(b: PowerBlock, mask: number): KTask<number> {
  const idle = yield* readPollTimeout(b.pwrtrans, (v) => (v & mask) === 0, pollNs, timeoutNs);
  if (!idle.ok) return -ERRNO.ETIMEDOUT;
  yield* writel(b.pwron, mask);
  const ready = yield* readPollTimeout(b.ready, (v) => (v & mask) >>> 0 === mask >>> 0, pollNs, timeoutNs);
  return ready.ok ? 0 : -ERRNO.ETIMEDOUT;
}

/**
 * `panthor_gpu_block_power_off()`: wait for no transition on `mask`, write PWROFF, poll until
 * the transition is over. tyrsim polls for "PWRTRANS clear and READY clear" rather than
 * PWRTRANS alone: its register file raises PWRTRANS one reaction after the PWROFF write, so a
 * read in the same instant would still see the old, idle value (on hardware PWRTRANS rises
 * with the write).
 */
export function* blockPowerOff(b: PowerBlock, mask: number): KTask<number> {
  const idle = yield* readPollTimeout(b.pwrtrans, (v) => (v & mask) === 0, pollNs, timeoutNs);
  if (!idle.ok) return -ERRNO.ETIMEDOUT;
  yield* writel(b.pwroff, mask);
  const off = yield* readPollTimeout(b.ready, (v) => (v & mask) === 0, pollNs, timeoutNs);
  if (!off.ok) return -ERRNO.ETIMEDOUT;
  const done = yield* readPollTimeout(b.pwrtrans, (v) => (v & mask) === 0, pollNs, timeoutNs);
  return done.ok ? 0 : -ERRNO.ETIMEDOUT;
}

/** `panthor_<irq>_irq_suspend()`: INT_MASK = 0 (no interrupt from a block about to lose power). */
export function* irqSuspend(maskReg: number): KTask<void> {
  yield* writel(maskReg, 0);
}

/** `panthor_<irq>_irq_resume(mask)`: INT_CLEAR = mask, then INT_MASK = mask (stale status is dropped first). */
export function* irqResume(clearReg: number, maskReg: number, mask: number): KTask<void> {
  yield* writel(clearReg, mask);
  yield* writel(maskReg, mask);
}

/** `panthor_gpu_soft_reset()`: GPU_CMD SOFT_RESET, RESET_COMPLETED polled; leaves every domain off. */
export function* gpuSoftReset(): KTask<number> {
  yield* writel(R.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
  yield* writel(R.GPU_CMD, GPU_CMD.SOFT_RESET);
  const done = yield* readPollTimeout(R.GPU_INT_RAWSTAT, (v) => (v & GPU_IRQ.RESET_COMPLETED) !== 0, GPU_POWER_TIMING.resetPollNs, GPU_POWER_TIMING.resetTimeoutNs);
  yield* writel(R.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
  return done.ok ? 0 : -ERRNO.ETIMEDOUT;
}

/** What the GPU side had on before a suspend, restored by the resume. */
export interface GpuPowerState {
  /** GPU_INT_MASK as the driver had set it (panthor keeps it as `pirq->mask`). */
  readonly gpuIntMask: number;
  /** SHADER_READY / TILER_READY: the cores the driver had powered. */
  readonly shaderReady: number;
  readonly tilerReady: number;
}

/**
 * `panthor_gpu_suspend()`: on a fast reset (firmware halted) power L2 down, else soft-reset;
 * then mask the GPU interrupt. tyrsim first powers the shader and tiler cores down (in tyrsim
 * the driver owns core power, which the MCU owns on hardware and drops when halted; L2 cannot go
 * before them) and remembers what was on. Errors are logged by panthor and ignored: the suspend
 * goes on.
 */
export function* gpuSuspend(fast: boolean, l2Present: number): KTask<GpuPowerState> {
  const gpuIntMask = yield* readl(R.GPU_INT_MASK);
  const shaderReady = yield* readl(R.SHADER_READY_LO);
  const tilerReady = yield* readl(R.TILER_READY_LO);
  if (!fast) {
    yield* gpuSoftReset();
  } else {
    if (shaderReady !== 0) yield* blockPowerOff(BLOCKS.shader, shaderReady);
    if (tilerReady !== 0) yield* blockPowerOff(BLOCKS.tiler, tilerReady);
    yield* blockPowerOff(BLOCKS.l2, l2Present);
  }
  yield* irqSuspend(R.GPU_INT_MASK);
  return { gpuIntMask, shaderReady, tilerReady };
}

/**
 * `panthor_gpu_resume()`: unmask the GPU interrupt, then `panthor_gpu_l2_power_on()` —
 * COHERENCY_ENABLE (GPU_COHERENCY_PROTOCOL) to the selected protocol, L2 #0 only (mask 1). tyrsim
 * then powers the tiler and shader cores that were on at suspend. 0, or -ETIMEDOUT when a block
 * does not come up (panthor ignores the L2 error here and lets the firmware resume fail).
 */
export function* gpuResume(saved: GpuPowerState, coherency: number): KTask<number> {
  yield* irqResume(R.GPU_INT_CLEAR, R.GPU_INT_MASK, saved.gpuIntMask);
  yield* writel(R.GPU_COHERENCY_PROTOCOL, coherency);
  const l2 = yield* blockPowerOn(BLOCKS.l2, 1);
  if (l2 !== 0) return l2;
  if (saved.tilerReady !== 0) {
    const r = yield* blockPowerOn(BLOCKS.tiler, saved.tilerReady);
    if (r !== 0) return r;
  }
  if (saved.shaderReady !== 0) return yield* blockPowerOn(BLOCKS.shader, saved.shaderReady);
  return 0;
}
