/**
 * The register state of one GPU and what reads and writes do to it, as the GPU_CONTROL,
 * JOB_CONTROL and MMU blocks implement them (`panthor_regs.h`, panthor.md §2). Plain data and
 * methods, no bus: the regs actor turns the effects into events.
 *
 * Simplified: GPU_STATUS, PWRACTIVE, GPU_FAULT_STATUS, CYCLE_COUNT and FAULTEXTRA read 0; PWR_KEY
 * does not guard PWR_OVERRIDE; only the low 32 bits of the core masks exist (PWRON/PWROFF_HI
 * writes other than 0 are ignored); RAWSTAT registers are read-only (no test injection by
 * writing them).
 */
import { AS_COMMAND, AS_REGISTERS, AS_STATUS_AS_ACTIVE, GPU_CONTROL as G, GPU_IRQ, JOB_CONTROL as J, MMU_CONTROL as M,
  CSF_GPU_LATEST_FLUSH_ID, asAt, asRegister, decodeGpuCmd, doorbellAt, mmuAs, mmuIntPageFault, type GpuCommand } from "../../shared/gpu/registers.ts";
import type { PowerDomain } from "../power/powerEvents.ts";
import type { AsCommandName } from "../mmu/mmuEvents.ts";
import type { IrqLine } from "./regsEvents.ts";

/** Static facts the register file needs from the GPU model. */
export interface RegisterFileConfig {
  /** ID/feature registers (`idRegisterValues(model)`). */
  readonly idRegisters: ReadonlyMap<number, number>;
  readonly asPresent: number;
  /** GPU_TIMESTAMP counts at this rate from time 0. */
  readonly timestampHz: number;
}

/** What a write asks of the rest of the GPU. */
export type WriteEffect =
  | { readonly kind: "none" }
  | { readonly kind: "power"; readonly domain: PowerDomain; readonly on: boolean; readonly mask: number }
  | { readonly kind: "gpuCommand"; readonly command: GpuCommand }
  | { readonly kind: "asCommand"; readonly as: number; readonly command: AsCommandName }
  | { readonly kind: "doorbell"; readonly doorbell: number }
  | { readonly kind: "mcuControl"; readonly value: number }
  | { readonly kind: "ignored"; readonly reason: "read-only" | "unknown-register" | "not-present" | "unsupported" };

/** PWRON/PWROFF/READY/PWRTRANS offsets of each power domain. */
const POWER: Readonly<Record<PowerDomain, { on: number; off: number; ready: number; trans: number }>> = {
  l2: { on: G.L2_PWRON_LO, off: G.L2_PWROFF_LO, ready: G.L2_READY_LO, trans: G.L2_PWRTRANS_LO },
  tiler: { on: G.TILER_PWRON_LO, off: G.TILER_PWROFF_LO, ready: G.TILER_READY_LO, trans: G.TILER_PWRTRANS_LO },
  shader: { on: G.SHADER_PWRON_LO, off: G.SHADER_PWROFF_LO, ready: G.SHADER_READY_LO, trans: G.SHADER_PWRTRANS_LO },
};
const DOMAINS = Object.keys(POWER) as PowerDomain[];

/** Writable GPU_CONTROL registers that only hold their value. */
const STORED = new Set<number>([G.GPU_L2_CONFIG, G.GPU_PWR_KEY, G.GPU_PWR_OVERRIDE0, G.GPU_PWR_OVERRIDE1,
  G.GPU_TIMESTAMP_OFFSET_LO, G.GPU_TIMESTAMP_OFFSET_HI, G.GPU_COHERENCY_PROTOCOL, G.MCU_CONTROL]);

/** INT_RAWSTAT / CLEAR / MASK / STAT of each line. */
const IRQ: Readonly<Record<IrqLine, { raw: number; clear: number; mask: number; stat: number }>> = {
  gpu: { raw: G.GPU_INT_RAWSTAT, clear: G.GPU_INT_CLEAR, mask: G.GPU_INT_MASK, stat: G.GPU_INT_STAT },
  job: { raw: J.JOB_INT_RAWSTAT, clear: J.JOB_INT_CLEAR, mask: J.JOB_INT_MASK, stat: J.JOB_INT_STAT },
  mmu: { raw: M.MMU_INT_RAWSTAT, clear: M.MMU_INT_CLEAR, mask: M.MMU_INT_MASK, stat: M.MMU_INT_STAT },
};
const LINES = Object.keys(IRQ) as IrqLine[];

const AS_STORED = new Set<number>([AS_REGISTERS.TRANSTAB_LO, AS_REGISTERS.TRANSTAB_HI, AS_REGISTERS.MEMATTR_LO, AS_REGISTERS.MEMATTR_HI,
  AS_REGISTERS.LOCKADDR_LO, AS_REGISTERS.LOCKADDR_HI, AS_REGISTERS.TRANSCFG_LO, AS_REGISTERS.TRANSCFG_HI]);
const COMMAND_NAMES = Object.fromEntries(Object.entries(AS_COMMAND).map(([n, c]) => [c, n])) as Record<number, AsCommandName>;

/** A 64-bit register from its `_LO`/`_HI` words. */
const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** The register state of one GPU. */
export class RegisterFile {
  private readonly values = new Map<number, number>();
  private readonly raw: Record<IrqLine, number> = { gpu: 0, job: 0, mmu: 0 };
  private readonly mask: Record<IrqLine, number> = { gpu: 0, job: 0, mmu: 0 };
  private readonly ready: Record<PowerDomain, number> = { l2: 0, tiler: 0, shader: 0 };
  private readonly trans: Record<PowerDomain, number> = { l2: 0, tiler: 0, shader: 0 };
  private readonly asActive = new Set<number>();
  private mcuStatus = 0;
  private flushId = 0;

  constructor(private readonly config: RegisterFileConfig) {}

  /** What a 32-bit read at `offset` returns at virtual time `nowNs`; reads never change state. */
  read(offset: number, nowNs: number): number {
    const id = this.config.idRegisters.get(offset);
    if (id !== undefined) return id;
    for (const line of LINES) {
      const r = IRQ[line];
      if (offset === r.raw) return this.raw[line];
      if (offset === r.mask) return this.mask[line];
      if (offset === r.stat) return this.status(line);
      if (offset === r.clear) return 0;
    }
    for (const d of DOMAINS) {
      if (offset === POWER[d].ready) return this.ready[d];
      if (offset === POWER[d].trans) return this.trans[d];
    }
    if (offset === G.GPU_TIMESTAMP_LO || offset === G.GPU_TIMESTAMP_HI) {
      const ts = (BigInt(nowNs) * BigInt(this.config.timestampHz)) / 1_000_000_000n + u64(this.value(G.GPU_TIMESTAMP_OFFSET_LO), this.value(G.GPU_TIMESTAMP_OFFSET_HI));
      return Number(BigInt.asUintN(32, offset === G.GPU_TIMESTAMP_LO ? ts : ts >> 32n));
    }
    if (offset === G.MCU_STATUS) return this.mcuStatus;
    if (offset === CSF_GPU_LATEST_FLUSH_ID) return this.flushId;
    const as = asAt(offset);
    if (as !== undefined && offset === asRegister(as, "STATUS")) return this.asActive.has(as) ? AS_STATUS_AS_ACTIVE : 0;
    return this.value(offset);
  }

  /** Apply a 32-bit write at `offset` and say what it asks of the other blocks. */
  write(offset: number, value: number): WriteEffect {
    for (const line of LINES) {
      if (offset === IRQ[line].clear) return this.set(() => (this.raw[line] = (this.raw[line] & ~value) >>> 0));
      if (offset === IRQ[line].mask) return this.set(() => (this.mask[line] = value >>> 0));
    }
    for (const d of DOMAINS) {
      if (offset === POWER[d].on || offset === POWER[d].off) return value === 0 ? NONE : { kind: "power", domain: d, on: offset === POWER[d].on, mask: value };
      if (offset === POWER[d].on + 4 || offset === POWER[d].off + 4) return value === 0 ? NONE : { kind: "ignored", reason: "unsupported" };
    }
    if (offset === G.GPU_CMD) return { kind: "gpuCommand", command: decodeGpuCmd(value) };
    if (STORED.has(offset)) {
      this.values.set(offset, value >>> 0);
      return offset === G.MCU_CONTROL ? { kind: "mcuControl", value } : NONE;
    }
    const doorbell = doorbellAt(offset);
    if (doorbell !== undefined) return { kind: "doorbell", doorbell };
    const as = asAt(offset);
    if (as !== undefined) return this.writeAs(as, offset - mmuAs(as), value);
    return { kind: "ignored", reason: KNOWN.has(offset) ? "read-only" : "unknown-register" };
  }

  /** INT_STAT of a line: RAWSTAT & MASK. The line is asserted while it is non-zero. */
  status(line: IrqLine): number {
    return (this.raw[line] & this.mask[line]) >>> 0;
  }

  /** INT_STAT of every line, to compare before and after a change. */
  lines(): Record<IrqLine, number> {
    return { gpu: this.status("gpu"), job: this.status("job"), mmu: this.status("mmu") };
  }

  /** A block sets raw interrupt bits. */
  raise(line: IrqLine, bits: number): void {
    this.raw[line] = (this.raw[line] | bits) >>> 0;
  }

  /** A power transition began: PWRTRANS shows the cores in transition. */
  powerTransitionStarted(domain: PowerDomain, trans: number): void {
    this.trans[domain] = trans >>> 0;
  }

  /** A power transition completed: READY/PWRTRANS updated, POWER_CHANGED (and _ALL once nothing is in transition) raised. */
  powerChanged(domain: PowerDomain, ready: number, trans: number): void {
    this.ready[domain] = ready >>> 0;
    this.trans[domain] = trans >>> 0;
    const idle = DOMAINS.every((d) => this.trans[d] === 0);
    this.raise("gpu", GPU_IRQ.POWER_CHANGED | (idle ? GPU_IRQ.POWER_CHANGED_ALL : 0));
  }

  /** The AS registers an AS command acts on. */
  asRegisters(as: number): { transtab: bigint; memattr: bigint; transcfg: bigint; lockaddr: bigint } {
    const w = (name: keyof typeof AS_REGISTERS) => this.value(asRegister(as, name));
    return {
      transtab: u64(w("TRANSTAB_LO"), w("TRANSTAB_HI")),
      memattr: u64(w("MEMATTR_LO"), w("MEMATTR_HI")),
      transcfg: u64(w("TRANSCFG_LO"), w("TRANSCFG_HI")),
      lockaddr: u64(w("LOCKADDR_LO"), w("LOCKADDR_HI")),
    };
  }

  /** Whether AS `as`'s page-fault bit is set in MMU_INT_RAWSTAT. */
  asFaultPending(as: number): boolean {
    return as < 16 && (this.raw.mmu & mmuIntPageFault(as)) !== 0;
  }

  /** The MMU finished the AS's command: AS_ACTIVE clears. */
  asCommandCompleted(as: number): void {
    this.asActive.delete(as);
  }

  /** The MMU latched a fault: AS_FAULTSTATUS/AS_FAULTADDRESS set and the AS's MMU_INT bit raised. */
  asFault(as: number, faultStatus: number, faultAddress: number): void {
    this.values.set(asRegister(as, "FAULTSTATUS"), faultStatus >>> 0);
    this.values.set(asRegister(as, "FAULTADDRESS_LO"), faultAddress >>> 0);
    this.values.set(asRegister(as, "FAULTADDRESS_HI"), Math.floor(faultAddress / 2 ** 32) >>> 0);
    if (as < 16) this.raise("mmu", mmuIntPageFault(as));
  }

  /** The MCU reported a new status: MCU_STATUS reads it and MCU_STATUS_CHANGED rises. */
  mcuStatusChanged(status: number): void {
    this.mcuStatus = status;
    this.raise("gpu", GPU_IRQ.MCU_STATUS_CHANGED);
  }

  /** A GPU_CMD cache flush finished: CLEAN_CACHES_COMPLETED rises and LATEST_FLUSH_ID advances. */
  cachesFlushed(): void {
    this.flushId = (this.flushId + 1) >>> 0;
    this.raise("gpu", GPU_IRQ.CLEAN_CACHES_COMPLETED);
  }

  /**
   * The state after a soft reset: RAWSTAT holds only RESET_COMPLETED, every domain is off, the AS
   * banks, MCU and configuration registers are zero. The INT_MASK registers survive, so the
   * RESET_COMPLETED interrupt panthor waits for can fire (simplified: which registers the real
   * reset preserves is not documented in the reference).
   */
  softReset(): void {
    this.values.clear();
    this.raw.gpu = GPU_IRQ.RESET_COMPLETED;
    this.raw.job = 0;
    this.raw.mmu = 0;
    for (const d of DOMAINS) this.ready[d] = this.trans[d] = 0;
    this.asActive.clear();
    this.mcuStatus = 0;
  }

  /** Registers with a non-zero value, by name, for snapshots. */
  snapshot(name: (offset: number) => string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of LINES) Object.assign(out, { [`${line}.raw`]: this.raw[line], [`${line}.mask`]: this.mask[line] });
    for (const d of DOMAINS) Object.assign(out, { [`${d}.ready`]: this.ready[d], [`${d}.trans`]: this.trans[d] });
    for (const [offset, v] of [...this.values].sort(([a], [b]) => a - b)) if (v !== 0) out[name(offset)] = v;
    for (const as of this.asActive) out[`AS${as}.active`] = 1;
    return out;
  }

  private writeAs(as: number, reg: number, value: number): WriteEffect {
    if (Math.floor(this.config.asPresent / 2 ** as) % 2 === 0) return { kind: "ignored", reason: "not-present" };
    if (AS_STORED.has(reg)) return this.set(() => this.values.set(mmuAs(as) + reg, value >>> 0));
    if (reg !== AS_REGISTERS.COMMAND) return { kind: "ignored", reason: Object.values(AS_REGISTERS).includes(reg as never) ? "read-only" : "unknown-register" };
    const command = COMMAND_NAMES[value];
    if (command === undefined) return { kind: "ignored", reason: "unsupported" };
    this.asActive.add(as);
    return { kind: "asCommand", as, command };
  }

  private value(offset: number): number {
    return this.values.get(offset) ?? 0;
  }

  private set(fn: () => unknown): WriteEffect {
    fn();
    return NONE;
  }
}

const NONE: WriteEffect = { kind: "none" };

/** Every named GPU_CONTROL/JOB/MMU offset, to tell read-only registers from holes in the map. */
const KNOWN = new Set<number>([...Object.values(G), ...Object.values(J), ...Object.values(M), CSF_GPU_LATEST_FLUSH_ID]);
