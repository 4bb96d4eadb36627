import { invalid, pair, pointer, reg, slotsClear, store, CsTrap, type Exec } from "./context.ts";
import type { InstructionOf } from "./layouts.ts";
import { u64Bytes } from "./memory.ts";
import { CS_FLUSH_MODE, CS_HEAP_OPERATION, CS_OTHER_FLUSH_MODE, CS_STATE, CS_SYNC_SCOPE, enumName } from "./opcodes.ts";
import type { CapturedOperands } from "./state.ts";
import { updateSyncObject } from "./sync.ts";

/**
 * The "optionally async" instructions (cs-isa.md §1.3, Mesa `cs_instr_is_asynchronous()`):
 * FLUSH_CACHE2, SYNC_ADD/SET 32/64, STORE_STATE, FINISH_FRAGMENT, HEAP_OPERATION. With a zero
 * wait mask they execute at once and their signal slot is ignored; otherwise they are deferred —
 * the signal slot is incremented at issue, the operation runs when every slot in the wait mask
 * has drained, then the signal slot is decremented. Register operands are captured at issue
 * (inferred). Deferred operations run in issue order among those that are ready.
 *
 * Simplified: the operations themselves (cache maintenance, memory writes) complete instantly;
 * the caller charges their time from the effects.
 */
export type AsyncInstruction =
  | InstructionOf<"FLUSH_CACHE2">
  | InstructionOf<"SYNC_ADD32">
  | InstructionOf<"SYNC_SET32">
  | InstructionOf<"SYNC_ADD64">
  | InstructionOf<"SYNC_SET64">
  | InstructionOf<"STORE_STATE">
  | InstructionOf<"FINISH_FRAGMENT">
  | InstructionOf<"HEAP_OPERATION">;

const SYNC_KIND = {
  SYNC_ADD32: { op: "add", size: 32 },
  SYNC_SET32: { op: "set", size: 32 },
  SYNC_ADD64: { op: "add", size: 64 },
  SYNC_SET64: { op: "set", size: 64 },
} as const;

/** Reject undefined enum values at issue (CS_INSTR_INVALID; which encodings firmware rejects is unverified). */
function validate(x: Exec, i: AsyncInstruction): void {
  if (i.kind === "FLUSH_CACHE2") {
    if (enumName(CS_FLUSH_MODE, i.l2FlushMode) === undefined) invalid(x, `FLUSH_CACHE2 L2 mode ${i.l2FlushMode} is undefined`);
    if (enumName(CS_FLUSH_MODE, i.lscFlushMode) === undefined) invalid(x, `FLUSH_CACHE2 LSC mode ${i.lscFlushMode} is undefined`);
    if (enumName(CS_OTHER_FLUSH_MODE, i.otherFlushMode) === undefined) invalid(x, `FLUSH_CACHE2 other mode ${i.otherFlushMode} is undefined`);
  } else if (i.kind in SYNC_KIND) {
    const scope = (i as InstructionOf<"SYNC_ADD32">).scope;
    if (enumName(CS_SYNC_SCOPE, scope) === undefined) invalid(x, `${i.kind} scope ${scope} is undefined`);
  } else if (i.kind === "HEAP_OPERATION" && enumName(CS_HEAP_OPERATION, i.operation) === undefined) {
    invalid(x, `HEAP_OPERATION ${i.operation} is undefined`);
  }
}

function capture(x: Exec, i: AsyncInstruction): CapturedOperands {
  switch (i.kind) {
    case "FLUSH_CACHE2": return { lo: reg(x, i.latestFlushId) };
    case "STORE_STATE": return { address: pointer(x, i.address, i.offset) };
    case "FINISH_FRAGMENT": return { first: pointer(x, i.firstHeapChunk), last: pointer(x, i.lastHeapChunk) };
    case "HEAP_OPERATION": return {};
    case "SYNC_ADD32":
    case "SYNC_SET32": return { address: pointer(x, i.address), lo: reg(x, i.data), hi: 0 };
    case "SYNC_ADD64":
    case "SYNC_SET64": {
      const v = pair(x, i.data);
      return { address: pointer(x, i.address), lo: Number(v & 0xffff_ffffn), hi: Number(v >> 32n) };
    }
  }
}

/** Issue an async instruction: run it now (wait mask 0) or queue it behind its wait mask. */
export function issueAsync(x: Exec, i: AsyncInstruction): void {
  validate(x, i);
  const operands = capture(x, i);
  const waitMask = i.waitMask & (2 ** x.d.sbSlotCount - 1); // wait-mask bits past the last slot are ignored (a guess)
  if (waitMask === 0) return perform(x, i, operands, x.pc);
  if (i.signalSlot >= x.d.sbSlotCount) invalid(x, `${i.kind} signal slot ${i.signalSlot} is past slot ${x.d.sbSlotCount - 1}`);
  x.d.scoreboard[i.signalSlot]! += 1;
  x.d.deferred.push({ instr: i, waitMask, signalSlot: i.signalSlot, operands, issuedAt: x.pc });
  drainDeferred(x);
}

/** Run every deferred operation whose wait mask has drained, until none is ready. */
export function drainDeferred(x: Exec): void {
  for (let k = 0; k < x.d.deferred.length; ) {
    const op = x.d.deferred[k]!;
    if (!slotsClear(x.d.scoreboard, op.waitMask)) {
      k++;
      continue;
    }
    x.d.deferred.splice(k, 1);
    perform(x, op.instr as AsyncInstruction, op.operands, op.issuedAt);
    x.d.scoreboard[op.signalSlot]! -= 1;
    k = 0; // a drained slot may release an earlier op
  }
}

function perform(x: Exec, i: AsyncInstruction, o: CapturedOperands, at: number): void {
  const d = x.d;
  switch (i.kind) {
    case "FLUSH_CACHE2":
      x.effects.push({
        type: "flush", instructionAddress: at, latestFlushId: o.lo ?? 0,
        l2: String(enumName(CS_FLUSH_MODE, i.l2FlushMode)), lsc: String(enumName(CS_FLUSH_MODE, i.lscFlushMode)),
        other: String(enumName(CS_OTHER_FLUSH_MODE, i.otherFlushMode)),
      });
      return;
    case "STORE_STATE": {
      // DISJOINT_COUNT is always 0 (meaning unverified); ERROR_STATUS is 0/1 like a sync object's status (a guess).
      const value =
        i.state === CS_STATE.TIMESTAMP ? BigInt(x.clock.timestamp)
        : i.state === CS_STATE.CYCLE_COUNT ? BigInt(x.clock.cycleCount)
        : i.state === CS_STATE.ERROR_STATUS && d.errorState !== 0 ? 1n : 0n;
      store(x, o.address!, u64Bytes(value));
      return;
    }
    case "FINISH_FRAGMENT":
      if (i.incrementFragmentCompleted) d.heap.fragEnd += 1;
      x.effects.push({ type: "heap", operation: "finishFragment", heapContext: d.heap.context, firstChunk: o.first!, lastChunk: o.last!, instructionAddress: at });
      return;
    case "HEAP_OPERATION": {
      const op = i.operation === CS_HEAP_OPERATION.VERTEX_TILER_STARTED ? "vtStarted" : i.operation === CS_HEAP_OPERATION.VERTEX_TILER_COMPLETED ? "vtCompleted" : "fragmentCompleted";
      if (op === "vtStarted") d.heap.vtStart += 1;
      else if (op === "vtCompleted") d.heap.vtEnd += 1;
      else d.heap.fragEnd += 1;
      x.effects.push({ type: "heap", operation: op, heapContext: d.heap.context, instructionAddress: at });
      return;
    }
    default: {
      const { op, size } = SYNC_KIND[i.kind];
      const data = BigInt(o.lo ?? 0) | (BigInt(o.hi ?? 0) << 32n);
      const r = updateSyncObject(x.mem, op, size, o.address!, data, i.errorPropagate === 1, d.errorState);
      if (!r.ok) throw new CsTrap(r.fault.exceptionType, r.fault.address, `${i.kind} at 0x${o.address!.toString(16)} faulted`);
      x.effects.push({
        type: "syncSignalled", address: o.address!, size, operation: op, seqno: r.value.seqno.toString(), status: r.value.status,
        scope: i.scope === CS_SYNC_SCOPE.CSG ? "CSG" : "SYSTEM", instructionAddress: at,
      });
    }
  }
}
