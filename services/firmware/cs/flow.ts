import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { CsTrap, invalid, type Exec } from "./context.ts";
import type { CsDraft } from "./state.ts";

/**
 * Control flow of a CS (cs-isa.md §1.4–1.5, Mesa `interpret_cs_instr`): the ring is the root
 * frame, CALL pushes a frame for `[address, address + length)`, reaching a frame's end returns to
 * the caller, JUMP replaces the current frame, BRANCH moves within it. The return address of a
 * CALL made in a user stream is the next instruction; for a CALL made in the ring, CS_EXTRACT
 * stays on the CALL until the callee returns (inferred from Panthor's fault attribution).
 */

/** Step past the current instruction. */
export function advance(d: CsDraft): void {
  const top = d.frames[d.frames.length - 1];
  if (top !== undefined) top.ip += 8;
  else d.ring.extract += 8;
}

/**
 * GPU VA of the next instruction to execute, after returning from every finished frame; or
 * undefined when the ring is empty at the root frame.
 */
export function nextInstruction(d: CsDraft): number | undefined {
  for (;;) {
    const top = d.frames[d.frames.length - 1];
    if (top === undefined) break;
    if (top.ip < top.end) return top.ip;
    d.frames.pop();
    if (top.calledFromRing) d.ring.extract += 8;
  }
  if (d.ring.extract >= d.ring.insert) return undefined;
  return d.ring.base + (d.ring.extract % d.ring.size);
}

function checkStream(x: Exec, address: number, length: number, what: string): void {
  if (length % 8 !== 0) invalid(x, `${what} length ${length} is not a multiple of 8`);
  if (address % 8 !== 0) invalid(x, `${what} address 0x${address.toString(16)} is not 8-byte aligned`);
}

/**
 * CALL: push a frame. The depth limit counts the ring and every called stream (8 on G610); an
 * exception-handler frame on the stack grants one more. Overflow raises CS_CALL_STACK_OVERFLOW
 * (0x4a; inferred from the exception name). A zero-length CALL returns at once.
 */
export function call(x: Exec, address: number, length: number, handler = false): void {
  const d = x.d;
  checkStream(x, address, length, "CALL");
  const limit = d.maxFrames + (handler || d.frames.some((f) => f.handler) ? 1 : 0);
  if (d.frames.length + 1 >= limit) {
    throw new CsTrap(EXCEPTION.CS_CALL_STACK_OVERFLOW, x.pc, `CALL at depth ${d.frames.length} exceeds ${d.maxFrames} frames`);
  }
  const fromRing = d.frames.length === 0;
  if (!handler) {
    if (length === 0) return advance(d);
    if (!fromRing) advance(d);
  }
  d.frames.push({ start: address, end: address + length, ip: address, handler, calledFromRing: fromRing && !handler });
}

/** JUMP: replace the current stream. Refused at the ring root, as Mesa's decoder does (hardware unverified). */
export function jump(x: Exec, address: number, length: number): void {
  const d = x.d;
  checkStream(x, address, length, "JUMP");
  const top = d.frames[d.frames.length - 1];
  if (top === undefined) invalid(x, "JUMP from the ring (root frame)");
  top.start = address;
  top.end = address + length;
  top.ip = address;
}

/**
 * BRANCH by `offset` instructions from the next one. Inside a stream the target must lie in
 * `[start, end]` (end = fall off and return); in the ring it must stay within the queued bytes
 * (at most one ring size behind insert). Other targets raise CS_INSTR_INVALID (a guess).
 */
export function branch(x: Exec, offset: number): void {
  const d = x.d;
  const delta = 8 * (1 + offset);
  const top = d.frames[d.frames.length - 1];
  if (top !== undefined) {
    const target = top.ip + delta;
    if (target < top.start || target > top.end) invalid(x, `BRANCH target 0x${target.toString(16)} is outside its stream`);
    top.ip = target;
    return;
  }
  const target = d.ring.extract + delta;
  if (target < 0 || target > d.ring.insert || d.ring.insert - target > d.ring.size) {
    invalid(x, `BRANCH target offset ${target} is outside the queued ring bytes`);
  }
  d.ring.extract = target;
}
