/**
 * Address-space slots and their programming through MMIO (`panthor_mmu.c`, panthor.md §5.1,
 * §5.3): slot assignment, `panthor_mmu_as_enable` / `_as_disable`, the AS_COMMAND handshake
 * (`write_cmd` + `wait_ready`: AS_STATUS.AS_ACTIVE polled every 10 µs, 100 ms timeout), and the
 * lock-region / flush / unlock sequence around page-table edits.
 *
 * Slot choice (first free above AS0, else the LRU's idle VM) is `../sched/asLru.ts`.
 *
 * Simplified: `write_cmd`'s wait before the write is folded
 * into the wait after the previous command (the driver always waits after each one). A timed
 * out wait would make panthor schedule a reset; here it is returned to the caller, which goes on.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import {
  AS_COMMAND, AS_MEMATTR, AS_STATUS_AS_ACTIVE, AS_TRANSCFG, asMemattrInnerAllocExpl, asRegister, asTranscfgInaBits, MMU_CONTROL,
} from "../../../shared/gpu/registers.ts";
import { packRegionRange } from "../../mmu/lockRegion.ts";
import { transtab, type PageTable } from "../../mmu/pageTable.ts";
import { readPollTimeout, writel, type KTask } from "../ktask.ts";

const US = 1_000;
const MS = 1_000_000;

/** `wait_ready()` timing: poll every 10 µs, give up after 100 ms. */
export const AS_WAIT_READY = { pollNs: 10 * US, timeoutNs: 100 * MS } as const;

/**
 * The AS a VM gets: the lowest present slot above 0 not in `used` (`ffz(alloc_mask | 1)` within
 * AS_PRESENT), or undefined when every one is taken.
 */
export function firstFreeAs(asPresent: number, used: ReadonlySet<number>): number | undefined {
  for (let as = 1; as < 32; as++) {
    if (Math.floor(asPresent / 2 ** as) % 2 === 1 && !used.has(as)) return as;
  }
  return undefined;
}

/** io-pgtable's MAIR for `ARM_64_LPAE_S1` (NC, WBRWA, DEVICE, INC_OWBRWA at indices 0..3). */
const LPAE_MAIR = [0x44, 0xff, 0x04, 0xf4, 0, 0, 0, 0];

/**
 * `mair_to_memattr(mair, coherent)`: AS_MEMATTR from the page table's MAIR — non-cacheable
 * attributes become INNER_OUTER_NC, the others write-back with the MAIR's allocation hints,
 * Midgard-inner shareable unless the GPU is IO-coherent.
 */
export function panthorMemattr(coherent: boolean): bigint {
  let memattr = 0n;
  LPAE_MAIR.forEach((inAttr, i) => {
    const outer = inAttr >> 4;
    const inner = inAttr & 0xf;
    let out: number;
    if ((outer & 3) === 0 || ((outer & 4) === 0 && (inner & 4) === 0)) {
      out = AS_MEMATTR.INNER_OUTER_NC | AS_MEMATTR.SH_MIDGARD_INNER | asMemattrInnerAllocExpl(false, false);
    } else {
      out = AS_MEMATTR.INNER_OUTER_WB | asMemattrInnerAllocExpl((inner & 1) !== 0, (inner & 2) !== 0);
      out |= coherent ? AS_MEMATTR.SH_CPU_INNER : AS_MEMATTR.SH_MIDGARD_INNER;
    }
    memattr |= BigInt(out) << BigInt(8 * i);
  });
  return memattr;
}

/** AS_TRANSCFG of a user VM: AArch64 4K tables, INA_BITS = 55 − va_bits, write-back read-allocate walks. */
export function panthorTranscfg(vaBits: number, coherent: boolean): number {
  const base = AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - vaBits) | AS_TRANSCFG.PTW_MEMATTR_WB | AS_TRANSCFG.PTW_RA;
  return (coherent ? base | AS_TRANSCFG.PTW_SH_OS : base) >>> 0;
}

/** `write_cmd()` then `wait_ready()`: 0, or -ETIMEDOUT when AS_ACTIVE stays set. */
export function* asCommand(as: number, command: number): KTask<number> {
  yield* writel(asRegister(as, "COMMAND"), command);
  const r = yield* readPollTimeout(asRegister(as, "STATUS"), (v) => (v & AS_STATUS_AS_ACTIVE) === 0, AS_WAIT_READY.pollNs, AS_WAIT_READY.timeoutNs);
  return r.ok ? 0 : -ERRNO.ETIMEDOUT;
}

function* write64(as: number, lo: "TRANSTAB_LO" | "MEMATTR_LO" | "TRANSCFG_LO" | "LOCKADDR_LO", v: bigint): KTask<void> {
  const hi = lo.replace("_LO", "_HI") as "TRANSTAB_HI" | "MEMATTR_HI" | "TRANSCFG_HI" | "LOCKADDR_HI";
  yield* writel(asRegister(as, lo), Number(v & 0xffff_ffffn));
  yield* writel(asRegister(as, hi), Number((v >> 32n) & 0xffff_ffffn));
}

/** `panthor_mmu_as_enable()`: TRANSTAB, MEMATTR, TRANSCFG, then UPDATE. */
export function* asEnable(as: number, pt: PageTable, vaBits: number, coherent: boolean): KTask<number> {
  yield* write64(as, "TRANSTAB_LO", transtab(pt));
  yield* write64(as, "MEMATTR_LO", panthorMemattr(coherent));
  yield* write64(as, "TRANSCFG_LO", BigInt(panthorTranscfg(vaBits, coherent)));
  return yield* asCommand(as, AS_COMMAND.UPDATE);
}

/**
 * `panthor_mmu_as_disable()`: TRANSTAB 0, MEMATTR 0, TRANSCFG UNMAPPED, UPDATE — every later
 * access through the AS faults, and UPDATE drops its TLB. (The whole-range flush before it is
 * folded into UPDATE: the model has no caches.)
 */
export function* asDisable(as: number): KTask<number> {
  yield* write64(as, "TRANSTAB_LO", 0n);
  yield* write64(as, "MEMATTR_LO", 0n);
  yield* write64(as, "TRANSCFG_LO", BigInt(AS_TRANSCFG.ADRMODE_UNMAPPED));
  return yield* asCommand(as, AS_COMMAND.UPDATE);
}

/**
 * `panthor_vm_lock_region()`: AS_LOCKADDR = the smallest naturally aligned power-of-two region
 * (≥ 32 KiB) covering `[start, start + size)`, then LOCK. GPU accesses inside stall until the
 * region is released instead of walking half-edited tables.
 */
export function* asLockRegion(as: number, start: number, size: number): KTask<number> {
  const packed = packRegionRange(start, size);
  if (packed === undefined) return 0;
  yield* write64(as, "LOCKADDR_LO", packed.lockaddr);
  return yield* asCommand(as, AS_COMMAND.LOCK);
}

/**
 * `panthor_vm_unlock_region()` after the edits: FLUSH_PT (L2 flush and TLB invalidation of the
 * locked region, which also releases it on this GPU generation), then UNLOCK — the newest code's
 * release — so the trace shows both halves of the sequence.
 */
export function* asFlushAndUnlock(as: number): KTask<number> {
  const flushed = yield* asCommand(as, AS_COMMAND.FLUSH_PT);
  const unlocked = yield* asCommand(as, AS_COMMAND.UNLOCK);
  return flushed !== 0 ? flushed : unlocked;
}

/** MMU_INT_MASK for the ASes in `present` that are not faulty (`panthor_mmu_fault_mask`). */
export function mmuIrqMask(asPresent: number, faultyMask: number): number {
  return (asPresent & 0xffff & ~faultyMask) >>> 0;
}

/** Write MMU_INT_MASK (probe's `panthor_mmu_irq` setup, and after a fault masks its AS). */
export function* writeMmuIrqMask(mask: number): KTask<void> {
  yield* writel(MMU_CONTROL.MMU_INT_MASK, mask);
}
