import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import type { CsEffect } from "./effects.ts";
import type { CsMemory } from "./memory.ts";
import { currentInstructionAddress, draftOf, type CsDraft, type CsState } from "./state.ts";

/**
 * The execution context of one interpreter call, and the register/memory accessors every
 * instruction uses. An architectural exception is thrown as a {@link CsTrap} and turned into a
 * CS_FATAL by the interpreter loop, so instruction code reads straight through.
 */

/** Clock values STORE_STATE reads (TIMESTAMP, CYCLE_COUNT); constant within one call. */
export interface CsClock {
  /** GPU timestamp counter (the SoC system counter). */
  readonly timestamp: number;
  /** GPU cycle counter. */
  readonly cycleCount: number;
}

/** A clock at zero, for callers that never use STORE_STATE. */
export const ZERO_CLOCK: CsClock = { timestamp: 0, cycleCount: 0 };

/** Everything an instruction may touch. */
export interface Exec {
  readonly d: CsDraft;
  readonly mem: CsMemory;
  readonly clock: CsClock;
  readonly effects: CsEffect[];
  /** GPU VA of the instruction being executed. */
  pc: number;
  /** `d.regs` is this call's own copy (see {@link draftOf}: registers are copied on first write). */
  regsOwned: boolean;
}

/** The context of one interpreter call on a working copy of `state`, at its current instruction. */
export function execOf(state: CsState, mem: CsMemory, clock: CsClock): Exec {
  return { d: draftOf(state), mem, clock, effects: [], pc: currentInstructionAddress(state), regsOwned: false };
}

/** The draft's register file, copied from the state it was drafted from on the first write. */
function ownRegs(x: Exec): number[] {
  if (!x.regsOwned) {
    x.d.regs = x.d.regs.slice();
    x.regsOwned = true;
  }
  return x.d.regs as number[];
}

/** An exception that stops the CS (CS_FATAL), thrown from instruction code. */
export class CsTrap extends Error {
  override readonly name = "CsTrap";
  constructor(
    readonly exceptionType: number,
    readonly info: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * CS_INSTR_INVALID (0x49). Raised for undefined opcodes (cs-isa.md §7.1) and — a guess, since the
 * firmware's checks are unverified — for undefined enum values, register indices past the
 * register file, misaligned CALL/JUMP lengths and branch targets outside the stream.
 */
export function invalid(x: Exec, why: string): never {
  throw new CsTrap(EXCEPTION.CS_INSTR_INVALID, x.pc, why);
}

function checkReg(x: Exec, n: number, width: 1 | 2): void {
  if (n + width > x.d.regCount) invalid(x, `register r${n}${width === 2 ? `:r${n + 1}` : ""} is past r${x.d.regCount - 1}`);
}

/** r[n] as a u32. */
export function reg(x: Exec, n: number): number {
  checkReg(x, n, 1);
  return x.d.regs[n]!;
}

/** d[n] = r[n] | r[n+1] << 32 (cs-isa.md §1.2; odd bases accepted, as the doc recommends). */
export function pair(x: Exec, n: number): bigint {
  checkReg(x, n, 2);
  return BigInt(x.d.regs[n]!) | (BigInt(x.d.regs[n + 1]!) << 32n);
}

/** Write r[n]. */
export function setReg(x: Exec, n: number, v: number): void {
  checkReg(x, n, 1);
  ownRegs(x)[n] = v >>> 0;
}

/**
 * Write d[n] from a non-negative integer below 2^53 (MOVE48's immediate): the same words as
 * `setPair(x, n, BigInt(v))`, without BigInt arithmetic on the interpreter's hottest path.
 */
export function setPairFromNumber(x: Exec, n: number, v: number): void {
  checkReg(x, n, 2);
  const regs = ownRegs(x);
  regs[n] = v >>> 0;
  regs[n + 1] = Math.floor(v / 2 ** 32) >>> 0;
}

/** Write d[n] (mod 2^64). */
export function setPair(x: Exec, n: number, v: bigint): void {
  checkReg(x, n, 2);
  const u = BigInt.asUintN(64, v);
  const regs = ownRegs(x);
  regs[n] = Number(u & 0xffff_ffffn);
  regs[n + 1] = Number(u >> 32n);
}

/**
 * The GPU VA in d[n] plus a signed byte offset. A result outside the 48-bit VA space (including
 * one that wraps below zero) raises ADDR_SIZE_FAULT_IN (0xe0), the MMU's input-address-size
 * fault — a guess at what the firmware reports.
 */
export function pointer(x: Exec, n: number, offset = 0): number {
  checkReg(x, n, 2);
  const hi = x.d.regs[n + 1]!;
  if (hi < 0x1_0000) {
    // d[n] is below 2^48, so it and an in-range sum are exact as numbers: the BigInt path below
    // gives the same answer and is only needed for wrap-around and out-of-range faults.
    const va = hi * 2 ** 32 + x.d.regs[n]! + offset;
    if (va >= 0 && va < 2 ** 48) return va;
  }
  const va = BigInt.asUintN(64, pair(x, n) + BigInt(offset));
  if (va >= 1n << 48n) throw new CsTrap(EXCEPTION.ADDR_SIZE_FAULT_IN, Number(va & 0xffff_ffff_ffffn), `address 0x${va.toString(16)} is beyond 48 bits`);
  return Number(va);
}

/** Read bytes, trapping with the MMU's exception code on a fault. */
export function load(x: Exec, va: number, bytes: number): Uint8Array {
  const r = x.mem.read(va, bytes);
  if (!r.ok) throw new CsTrap(r.fault.exceptionType, r.fault.address, `read of ${bytes} bytes at 0x${va.toString(16)} faulted`);
  return r.data;
}

/** Write bytes, trapping with the MMU's exception code on a fault. */
export function store(x: Exec, va: number, data: Uint8Array): void {
  const r = x.mem.write(va, data);
  if (!r.ok) throw new CsTrap(r.fault.exceptionType, r.fault.address, `write of ${data.length} bytes at 0x${va.toString(16)} faulted`);
}

/** True when every scoreboard slot in `mask` is zero. */
export function slotsClear(scoreboard: readonly number[], mask: number): boolean {
  for (let i = 0; i < scoreboard.length; i++) if ((mask >>> i) & 1 && scoreboard[i]! > 0) return false;
  return true;
}
