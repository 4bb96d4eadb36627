import { LAYOUT, type Decoded, type FieldSpec, type Instruction, type InstructionKind } from "./layouts.ts";

/**
 * Packing and unpacking of v10 CS instruction words (cs-isa.md §1.1, §3): one 64-bit
 * little-endian word per instruction, opcode in bits [63:56], operand fields below it as
 * {@link LAYOUT} lists them. Mirrors Mesa's `pan_pack()`/`cs_unpack()` over `v10.xml`.
 *
 * The public word type is `bigint` (a real u64). The interpreter's hot path uses
 * {@link decodeWords} on the two 32-bit halves so that a 100,000-iteration loop does no bigint
 * arithmetic per instruction.
 */

interface CompiledField {
  readonly name: string;
  readonly lo: number;
  readonly width: number;
  readonly signed: boolean;
  /** The range a value must fall in to be encodable. */
  readonly min: number;
  readonly max: number;
}

interface CompiledLayout {
  readonly kind: InstructionKind;
  readonly opcode: number;
  readonly fields: readonly CompiledField[];
}

function compile(kind: InstructionKind, opcode: number, fields: Readonly<Record<string, FieldSpec>>): CompiledLayout {
  const compiled = Object.entries(fields).map(([name, [lo, width, sign]]) => {
    const signed = sign === "signed";
    return { name, lo, width, signed, min: signed ? -(2 ** (width - 1)) : 0, max: signed ? 2 ** (width - 1) - 1 : 2 ** width - 1 };
  });
  for (const f of compiled) {
    // extract()/encodeInstruction() rely on this: only a field starting at bit 0 may cross bit 32.
    const crosses = f.lo < 32 && f.lo + f.width > 32;
    if (crosses && f.lo !== 0) throw new Error(`${kind}.${f.name} crosses bit 32 without starting at bit 0`);
  }
  return { kind, opcode, fields: compiled };
}

const BY_KIND = new Map<InstructionKind, CompiledLayout>();
const BY_OPCODE: (CompiledLayout | undefined)[] = new Array<CompiledLayout | undefined>(256).fill(undefined);
for (const [kind, layout] of Object.entries(LAYOUT) as [InstructionKind, (typeof LAYOUT)[InstructionKind]][]) {
  const c = compile(kind, layout.opcode, layout.fields);
  BY_KIND.set(kind, c);
  BY_OPCODE[layout.opcode] = c;
}

const mask = (width: number): number => (width >= 32 ? 0xffff_ffff : 2 ** width - 1);

function extract(lo: number, hi: number, f: CompiledField): number {
  let v: number;
  if (f.width > 32) v = (lo >>> 0) + (hi & mask(f.width - 32)) * 2 ** 32; // MOVE48's immediate, from bit 0
  else if (f.lo >= 32) v = (hi >>> (f.lo - 32)) & mask(f.width);
  else v = f.width === 32 ? lo >>> 0 : (lo >>> f.lo) & mask(f.width);
  if (f.signed && v >= 2 ** (f.width - 1)) v -= 2 ** f.width;
  return v;
}

/** Decoded words by high then low half: loops re-execute the same words, and decoded objects are immutable. */
const decodeCache = new Map<number, Map<number, Decoded>>();
let decodeCacheSize = 0;
const DECODE_CACHE_LIMIT = 8192;

/**
 * Decode one instruction from its low and high 32-bit halves (the order the words sit in
 * little-endian memory). Undefined opcodes decode to `{ kind: "invalid", opcode }`. Results are
 * memoised (a bounded cache; the returned objects are shared and must not be mutated).
 */
export function decodeWords(lo: number, hi: number): Decoded {
  let byLo = decodeCache.get(hi);
  const hit = byLo?.get(lo);
  if (hit !== undefined) return hit;
  if (decodeCacheSize >= DECODE_CACHE_LIMIT) {
    decodeCache.clear();
    decodeCacheSize = 0;
    byLo = undefined;
  }
  if (byLo === undefined) decodeCache.set(hi, (byLo = new Map()));
  const d = Object.freeze(decodeUncached(lo, hi));
  byLo.set(lo, d);
  decodeCacheSize++;
  return d;
}

function decodeUncached(lo: number, hi: number): Decoded {
  const opcode = hi >>> 24;
  const layout = BY_OPCODE[opcode];
  if (layout === undefined) return { kind: "invalid", opcode };
  const out: Record<string, number | string> = { kind: layout.kind };
  for (const f of layout.fields) out[f.name] = extract(lo, hi, f);
  return out as unknown as Instruction;
}

/**
 * Decode a 64-bit instruction word, as Mesa's `cs_unpack(instr, CS_BASE, base)` followed by the
 * per-opcode unpack.
 *
 * @example decode(0x015c0000_00001000n) // { kind: "MOVE48", immediate: 0x1000, destination: 92 }
 */
export function decode(word: bigint): Decoded {
  return decodeWords(Number(word & 0xffff_ffffn), Number((word >> 32n) & 0xffff_ffffn));
}

/**
 * Encode a decoded-form instruction into its 64-bit word. Throws a RangeError naming the
 * instruction and field when a value does not fit its bit range: an encoder bug, never a
 * simulated hardware condition.
 */
export function encodeInstruction(instr: Instruction): bigint {
  const layout = BY_KIND.get(instr.kind);
  if (layout === undefined) throw new RangeError(`unknown CS instruction kind '${String(instr.kind)}'`);
  let lo = 0;
  let hi = layout.opcode * 2 ** 24;
  const values = instr as unknown as Readonly<Record<string, number>>;
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined || !Number.isInteger(v)) throw new RangeError(`${instr.kind}.${f.name} must be an integer, got ${String(v)}`);
    if (v < f.min || v > f.max) throw new RangeError(`${instr.kind}.${f.name} = ${v} does not fit ${f.signed ? "signed " : ""}${f.width} bits`);
    const u = v < 0 ? v + 2 ** f.width : v;
    if (f.width > 32) {
      lo += u % 2 ** 32;
      hi += Math.floor(u / 2 ** 32);
    } else if (f.lo >= 32) hi += u * 2 ** (f.lo - 32);
    else lo += u * 2 ** f.lo;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The low and high 32-bit halves of an instruction word, for writing it to memory. */
export function splitWord(word: bigint): { lo: number; hi: number } {
  return { lo: Number(word & 0xffff_ffffn), hi: Number((word >> 32n) & 0xffff_ffffn) };
}

/** Little-endian bytes of a list of instruction words, as they sit in a CS buffer. */
export function wordsToBytes(words: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return out;
}

/**
 * One-line disassembly for logs and audit reports, e.g.
 * `SYNC_ADD64 errorPropagate=1 scope=0 waitMask=0x0 signalSlot=0 data=r94 address=r92`.
 * Register operands print as `rN`; wide values in hex.
 */
export function formatInstruction(d: Decoded): string {
  if (d.kind === "invalid") return `INVALID opcode=0x${d.opcode.toString(16)}`;
  const layout = BY_KIND.get(d.kind);
  const values = d as unknown as Readonly<Record<string, number>>;
  const parts = (layout?.fields ?? []).map((f) => {
    const v = values[f.name] ?? 0;
    const isReg = /^(destination|source\d?|address|data|value|baseRegister|lastHeapChunk|firstHeapChunk|length|dcd|drawId|latestFlushId)$/.test(f.name);
    if (isReg) return `${f.name}=r${v}`;
    return `${f.name}=${Math.abs(v) > 9 ? `${v < 0 ? "-" : ""}0x${Math.abs(v).toString(16)}` : v}`;
  });
  return [d.kind, ...parts].join(" ");
}
