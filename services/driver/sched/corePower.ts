/**
 * Shader and tiler core power for the groups the scheduler starts. On hardware the MCU powers
 * the cores it was allowed (`core_en_mask`) when work arrives and powers them off after the GLB
 * power-off hysteresis; tyrsim's firmware model leaves core power to the driver (README fidelity
 * table), so before a tick gives CSG slots to groups the driver brings the tiler and every present
 * shader core up (`panthor_gpu_block_power_on`: wait for PWRTRANS to clear, write PWRON, poll
 * READY every 100 µs up to 20 ms). Runtime PM powers them down with L2 and back up on resume.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { GPU_CONTROL as R } from "../../../shared/gpu/registers.ts";
import { readl, readPollTimeout, writel, type KTask } from "../ktask.ts";
import type { DriverState } from "../uapi/driverState.ts";

const US = 1_000;
const MS = 1_000_000;

/** `panthor_gpu_block_power_on(block, mask, 20 ms)`: 0 or -ETIMEDOUT. */
function* blockOn(pwron: number, trans: number, ready: number, mask: number): KTask<number> {
  const now = yield* readl(ready);
  if ((now & mask) === mask) return 0;
  const idle = yield* readPollTimeout(trans, (v) => (v & mask) === 0, 100 * US, 20 * MS);
  if (!idle.ok) return -ERRNO.ETIMEDOUT;
  yield* writel(pwron, (mask & ~now) >>> 0);
  const up = yield* readPollTimeout(ready, (v) => (v & mask) === mask, 100 * US, 20 * MS);
  return up.ok ? 0 : -ERRNO.ETIMEDOUT;
}

/** Power the tiler and the shader cores on if they are not (see the module comment); 0 or -ETIMEDOUT. */
export function* ensureCoresPowered(d: DriverState): KTask<number> {
  const tiler = yield* blockOn(R.TILER_PWRON_LO, R.TILER_PWRTRANS_LO, R.TILER_READY_LO, d.dev.info.tiler_present);
  if (tiler !== 0) return tiler;
  return yield* blockOn(R.SHADER_PWRON_LO, R.SHADER_PWRTRANS_LO, R.SHADER_READY_LO, d.dev.info.shader_present);
}
