import { CS_CONDITION } from "./opcodes.ts";
import type { CsMemory, MemoryFault } from "./memory.ts";
import { u32Bytes, u64Bytes } from "./memory.ts";

/**
 * Sync objects in GPU memory (cs-isa.md §5.6, §6.2, §6.4): a sequence number followed by an error
 * status word — Panthor's `struct panthor_syncobj_64b { u64 seqno; u32 status; u32 pad; }` and
 * `panthor_syncobj_32b { u32 seqno; u32 status; }`. SYNC_ADD/SET write the seqno and, with
 * `error_propagate`, the status (0 = no fault, 1 = fault); SYNC_WAIT compares the seqno with a
 * reference and, in inherit mode, picks up a non-zero status.
 */
export const SYNC_OBJECT = {
  32: { seqno: 0, status: 4, size: 8 },
  64: { seqno: 0, status: 8, size: 16 },
} as const;

/** Width of a sync object's sequence number. */
export type SyncSize = 32 | 64;

const MASK = { 32: (1n << 32n) - 1n, 64: (1n << 64n) - 1n } as const;

/**
 * Whether a SYNC_WAIT proceeds: compares the value in memory with the reference, **unsigned**
 * (Panthor's host-side re-evaluation in `panthor_queue_get_syncwait_obj`/`sync_upd_work` uses
 * exactly GT and LE, unsigned). Mesa emits only LE and GT on v10; the other codes are evaluated
 * the obvious way (unverified on v10, cs-isa.md §2). Code 7 is undefined: the caller faults.
 */
export function syncConditionHolds(condition: number, current: bigint, reference: bigint): boolean {
  switch (condition) {
    case CS_CONDITION.LEQUAL: return current <= reference;
    case CS_CONDITION.GREATER: return current > reference;
    case CS_CONDITION.EQUAL: return current === reference;
    case CS_CONDITION.NEQUAL: return current !== reference;
    case CS_CONDITION.LESS: return current < reference;
    case CS_CONDITION.GEQUAL: return current >= reference;
    case CS_CONDITION.ALWAYS: return true;
    default: return false;
  }
}

/** Whether a BRANCH is taken: the register as a **signed** 32-bit value against zero (Mesa `eval_cond`). */
export function branchConditionHolds(condition: number, value: number): boolean {
  const v = value | 0;
  switch (condition) {
    case CS_CONDITION.LEQUAL: return v <= 0;
    case CS_CONDITION.GREATER: return v > 0;
    case CS_CONDITION.EQUAL: return v === 0;
    case CS_CONDITION.NEQUAL: return v !== 0;
    case CS_CONDITION.LESS: return v < 0;
    case CS_CONDITION.GEQUAL: return v >= 0;
    case CS_CONDITION.ALWAYS: return true;
    default: return false;
  }
}

/** A sync object as read from memory. */
export interface SyncObjectValue {
  readonly seqno: bigint;
  readonly status: number;
}

type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly fault: MemoryFault };

/** Read the seqno and status of the sync object at `address`. */
export function readSyncObject(mem: CsMemory, address: number, size: SyncSize): Result<SyncObjectValue> {
  const layout = SYNC_OBJECT[size];
  const r = mem.read(address, layout.size);
  if (!r.ok) return r;
  const view = new DataView(r.data.buffer, r.data.byteOffset, layout.size);
  const seqno = size === 32 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
  return { ok: true, value: { seqno, status: view.getUint32(layout.status, true) } };
}

/**
 * SYNC_ADD / SYNC_SET on the object at `address`: `seqno += data` (mod 2^size) or `seqno = data`;
 * with `errorPropagate`, also `status = errorState ? 1 : 0`. Returns the new seqno and the
 * status written (undefined when not propagated).
 */
export function updateSyncObject(
  mem: CsMemory,
  op: "add" | "set",
  size: SyncSize,
  address: number,
  data: bigint,
  errorPropagate: boolean,
  errorState: number,
): Result<{ seqno: bigint; status: number | undefined }> {
  let seqno = data & MASK[size];
  if (op === "add") {
    const cur = mem.read(address, size / 8);
    if (!cur.ok) return cur;
    const view = new DataView(cur.data.buffer, cur.data.byteOffset, size / 8);
    const old = size === 32 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
    seqno = (old + data) & MASK[size];
  }
  const w = mem.write(address, size === 32 ? u32Bytes(Number(seqno)) : u64Bytes(seqno));
  if (!w.ok) return w;
  if (!errorPropagate) return { ok: true, value: { seqno, status: undefined } };
  const status = errorState !== 0 ? 1 : 0;
  const ws = mem.write(address + SYNC_OBJECT[size].status, u32Bytes(status));
  if (!ws.ok) return ws;
  return { ok: true, value: { seqno, status } };
}
