/**
 * The TLB of one GPU address space and the AS_COMMAND operations that maintain it. Translations
 * found by walks are cached per 4 KiB page, so a driver that edits page tables without the
 * LOCK → edit → UNLOCK/FLUSH sequence (panthor.md §5.3) keeps seeing the old physical address —
 * exactly the bug class a real GPU exposes.
 *
 * AS_COMMAND semantics (kbase/panfrost register comments, `AS_COMMAND_*`):
 * - LOCK: "issue a lock region command": latch the AS_LOCKADDR region; GPU accesses inside it
 *   stall until it is released, instead of walking half-updated tables.
 * - UNLOCK: "issue a flush region command": drop TLB entries in the locked region, release it.
 * - FLUSH_PT: flush L2 caches, then flush region (6.10-era panthor relies on it to unlock).
 * - FLUSH_MEM: wait for memory accesses, flush L1/L2, then flush region.
 * - UPDATE: broadcast AS_TRANSTAB/MEMATTR/TRANSCFG: a new address space, so every entry goes.
 *
 * Simplified: commands complete instantly (AS_ACTIVE timing is the MMU actor's); no caches are
 * modelled, so FLUSH_PT and FLUSH_MEM act like UNLOCK here; a flush with no region locked drops
 * nothing (unverified); the TLB holds 4 KiB entries only, no walk cache of intermediate tables
 * (every miss walks from the PGD), and an optional capacity evicts oldest-first; faults are not
 * cached.
 */
import { AS_COMMAND } from "../../shared/gpu/registerFields.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { decodeLockaddr, inLockRegion, type LockRegion } from "./lockRegion.ts";
import { mmuFault, permits, walk, type LeafPermissions, type MmuAccess, type MmuFault, type Translation } from "./walk.ts";
import type { PageTable } from "./pageTable.ts";
import { permissionFault } from "../../shared/gpu/exceptions.ts";

/** One cached translation of a 4 KiB page. */
export interface TlbEntry {
  /** Physical frame number the page maps to. */
  readonly frame: number;
  /** Level and size of the leaf it came from. */
  readonly level: number;
  readonly leafSize: number;
  readonly perms: LeafPermissions;
}

/** The AS configuration loaded by UPDATE (AS_TRANSTAB, AS_MEMATTR, AS_TRANSCFG). */
export interface AsConfig {
  readonly transtab: bigint;
  readonly memattr: bigint;
  readonly transcfg: bigint;
}

/** An access that hit the locked region: it waits for UNLOCK/FLUSH rather than faulting. */
export interface StalledAccess {
  readonly ok: false;
  readonly kind: "stalled";
  readonly region: LockRegion;
  readonly address: number;
}

/** A translation and whether it came from the TLB. */
export type TlbTranslation = Translation & { readonly tlbHit: boolean };

/** Result of {@link translate}. */
export type TranslateResult = TlbTranslation | MmuFault | StalledAccess;

/** Counters, for tests and benchmarks. */
export interface TlbStats {
  hits: number;
  misses: number;
  invalidated: number;
}

/** TLB and lock state of one address space. Deterministic: no clocks, FIFO eviction. */
export class AsTlb {
  private readonly map = new Map<number, TlbEntry>();
  private locked: LockRegion | null = null;
  private cfg: AsConfig = { transtab: 0n, memattr: 0n, transcfg: 0n };
  readonly stats: TlbStats = { hits: 0, misses: 0, invalidated: 0 };

  /** @param capacity entries kept before the oldest is evicted (default: unbounded). */
  constructor(readonly capacity = Number.POSITIVE_INFINITY) {}

  /** Cached entries by virtual page number (iova / 4096). */
  get entries(): ReadonlyMap<number, TlbEntry> {
    return this.map;
  }
  /** The locked region, if a LOCK is in force. */
  get lockRegion(): LockRegion | null {
    return this.locked;
  }
  /** The configuration last loaded by UPDATE. */
  get config(): AsConfig {
    return this.cfg;
  }

  /** Execute an AS_COMMAND code; LOCK reads `lockaddr` (the AS_LOCKADDR register). */
  command(cmd: number, lockaddr = 0n, config?: AsConfig): void {
    switch (cmd) {
      case AS_COMMAND.NOP:
        return;
      case AS_COMMAND.UPDATE:
        return this.update(config ?? this.cfg);
      case AS_COMMAND.LOCK:
        return this.lock(lockaddr);
      case AS_COMMAND.UNLOCK:
      case AS_COMMAND.FLUSH_PT:
      case AS_COMMAND.FLUSH_MEM:
        return this.flushRegion();
      default:
        throw new RangeError(`unknown AS_COMMAND ${cmd}`);
    }
  }

  /** AS_COMMAND_LOCK with AS_LOCKADDR = `lockaddr`. A second LOCK replaces the region. */
  lock(lockaddr: bigint): void {
    this.locked = decodeLockaddr(lockaddr);
  }
  /** AS_COMMAND_UNLOCK: flush the locked region's entries and release it. */
  unlock(): void {
    this.flushRegion();
  }
  /** AS_COMMAND_FLUSH_PT (caches not modelled): flush region and release it. */
  flushPt(): void {
    this.flushRegion();
  }
  /** AS_COMMAND_FLUSH_MEM (caches and in-flight accesses not modelled): flush region and release it. */
  flushMem(): void {
    this.flushRegion();
  }
  /** AS_COMMAND_UPDATE: load a new configuration and drop every entry. */
  update(config: AsConfig): void {
    this.cfg = config;
    this.stats.invalidated += this.map.size;
    this.map.clear();
  }

  /** The cached entry for `iova`'s page, if any. */
  lookup(iova: number): TlbEntry | undefined {
    return this.map.get(Math.floor(iova / PAGE_SIZE));
  }

  /** Cache a translation of `iova`'s page, evicting the oldest entry when full. */
  insert(iova: number, t: Translation): void {
    const vpn = Math.floor(iova / PAGE_SIZE);
    this.map.delete(vpn);
    this.map.set(vpn, { frame: Math.floor(t.pa / PAGE_SIZE), level: t.level, leafSize: t.leafSize, perms: t.perms });
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  private flushRegion(): void {
    const region = this.locked;
    this.locked = null;
    if (!region) return;
    for (const vpn of [...this.map.keys()]) {
      if (inLockRegion(region, vpn * PAGE_SIZE)) {
        this.map.delete(vpn);
        this.stats.invalidated++;
      }
    }
  }
}

/**
 * Translate one GPU access through an address space: stall inside a locked region, else use the
 * TLB entry (checking its cached permissions), else walk `pt` — the page table AS_TRANSTAB
 * points at — and cache a successful result.
 */
export function translate(tlb: AsTlb, pt: PageTable, iova: number, access: MmuAccess): TranslateResult {
  const region = tlb.lockRegion;
  if (region && inLockRegion(region, iova)) return { ok: false, kind: "stalled", region, address: iova };
  const hit = tlb.lookup(iova);
  if (hit) {
    tlb.stats.hits++;
    if (!permits(hit.perms, access)) return mmuFault("permission", hit.level, permissionFault(hit.level), access, iova);
    const pa = hit.frame * PAGE_SIZE + (iova % PAGE_SIZE);
    return { ok: true, pa, level: hit.level, leafSize: hit.leafSize, perms: hit.perms, tlbHit: true };
  }
  tlb.stats.misses++;
  const r = walk(pt, iova, access);
  if (!r.ok) return r;
  tlb.insert(iova, r);
  return { ...r, tlbHit: false };
}
