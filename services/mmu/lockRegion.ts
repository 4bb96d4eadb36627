/**
 * AS_LOCKADDR encoding: a naturally aligned power-of-two region of GPU VA, written as
 * `base | (log2(size) − 1)` with the width in the low 6 bits and a minimum of 32 KiB
 * (`AS_LOCK_REGION_MIN_SIZE`). The driver side mirrors panthor's `lock_region()` (6.10) /
 * `pack_region_range()` (later); the hardware side is how the MMU reads the register back.
 *
 * Computed with bigints: `fls64` and 64-bit masks do not fit JS number bit operators.
 */
import { AS_LOCK_REGION_MIN_SIZE } from "../../shared/gpu/registerFields.ts";

/** A locked GPU VA range `[start, start + size)`. */
export interface LockRegion {
  readonly start: number;
  readonly size: number;
}

/** `fls64(x)`: 1-based index of the highest set bit, 0 for 0. */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

const MIN_WIDTH = Math.log2(AS_LOCK_REGION_MIN_SIZE); // const_ilog2(AS_LOCK_REGION_MIN_SIZE) = 15

/**
 * Encode the smallest lockable region covering `[start, start + size)`, as `pack_region_range()`:
 * `region_width = max(fls64(start ^ (end − 1)), 15) − 1`, then `start &= GENMASK_ULL(63,
 * region_width)`, and `LOCKADDR = region_width | start`. The returned region is the one the
 * hardware locks (`*size = 1 << (region_width + 1)`, start aligned to it). Returns undefined for
 * `size == 0`, where the kernel WARNs and sends no LOCK.
 *
 * Note: the kernel masks `start` only below bit `region_width`, so at the 32 KiB minimum bit 14
 * of the written value may be set; the hardware ignores it (panthor.md's formula masks by the
 * whole size — same region, different register bits).
 *
 * @example packRegionRange(0x1000, 0x1000) // { lockaddr: 0xen, region: { start: 0, size: 0x8000 } }
 */
export function packRegionRange(start: number, size: number): { lockaddr: bigint; region: LockRegion } | undefined {
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`lock region [0x${start.toString(16)}, +0x${size.toString(16)}) is not a valid u64 range`);
  }
  if (size === 0) return undefined;
  const s = BigInt(start);
  const end = s + BigInt(size);
  const width = Math.max(fls64(s ^ (end - 1n)), MIN_WIDTH) - 1;
  const maskedStart = s & ~((1n << BigInt(width)) - 1n);
  const lockaddr = maskedStart | BigInt(width);
  return { lockaddr, region: decodeLockaddr(lockaddr) };
}

/**
 * The region the MMU locks for an AS_LOCKADDR value: width from bits [5:0], size
 * `2^(width + 1)`, base = the address bits aligned down to the size. Widths below 14 are treated
 * as the 32 KiB minimum (unverified: what the hardware does with them is not documented here).
 */
export function decodeLockaddr(lockaddr: bigint): LockRegion {
  const width = Math.max(Number(lockaddr & 0x3fn), MIN_WIDTH - 1);
  const size = 1n << BigInt(width + 1);
  const start = BigInt.asUintN(64, lockaddr) & ~0x3fn & ~(size - 1n);
  return { start: Number(start), size: Number(size) };
}

/** Whether `iova` lies in `region`. */
export function inLockRegion(region: LockRegion, iova: number): boolean {
  return iova >= region.start && iova - region.start < region.size;
}
