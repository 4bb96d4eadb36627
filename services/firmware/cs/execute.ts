import { EXCEPTION, exceptionName } from "../../../shared/gpu/exceptions.ts";
import { issueAsync } from "./asyncOps.ts";
import { CsTrap, invalid, load, pair, pointer, reg, setPair, setPairFromNumber, setReg, slotsClear, store, type Exec } from "./context.ts";
import { branch, call, jump } from "./flow.ts";
import { computeJob, fragmentJob, idvsJob, rawJob, type JobDescriptor } from "./jobs.ts";
import type { Instruction } from "./layouts.ts";
import { CS_CONDITION, CS_EXCEPTION_HANDLER_TYPE } from "./opcodes.ts";
import { branchConditionHolds, readSyncObject, syncConditionHolds } from "./sync.ts";

/**
 * The semantics of each v10 instruction (cs-isa.md §3 "Semantics" column; Mesa's reference
 * interpreter `interpret_cs_instr` for registers and control flow). Returns what the loop does
 * next: `next` (step past it), `moved` (control flow already set the position) or `block`
 * (re-execute it later: WAIT / SYNC_WAIT not satisfied).
 */
export type Outcome = "next" | "moved" | "block";

/** Execute one decoded instruction at `x.pc`. */
export function execute(x: Exec, i: Instruction): Outcome {
  const d = x.d;
  switch (i.kind) {
    case "NOP":
      return "next";
    case "MOVE48":
      setPairFromNumber(x, i.destination, i.immediate);
      return "next";
    case "MOVE32":
      setReg(x, i.destination, i.immediate);
      return "next";
    case "ADD_IMMEDIATE32":
      setReg(x, i.destination, reg(x, i.source) + i.immediate);
      return "next";
    case "ADD_IMMEDIATE64":
      setPair(x, i.destination, pair(x, i.source) + BigInt(i.immediate));
      return "next";
    case "COMPARE_SELECT32":
      setReg(x, i.destination, Math.min(reg(x, i.source0), reg(x, i.source1)));
      return "next";
    case "LOAD_MULTIPLE":
    case "STORE_MULTIPLE":
      loadStoreMultiple(x, i);
      return "next";
    case "WAIT": {
      const mask = i.waitMask & (2 ** d.sbSlotCount - 1);
      if (slotsClear(d.scoreboard, mask)) return "next";
      d.block = { kind: "sbWait", mask };
      return "block";
    }
    case "BRANCH":
      if (i.condition > CS_CONDITION.ALWAYS) invalid(x, `BRANCH condition ${i.condition} is undefined`);
      if (!branchConditionHolds(i.condition, reg(x, i.value))) return "next";
      branch(x, i.offset);
      return "moved";
    case "CALL":
      call(x, pointer(x, i.address), reg(x, i.length));
      return "moved";
    case "JUMP":
      jump(x, pointer(x, i.address), reg(x, i.length));
      return "moved";
    case "SET_SB_ENTRY":
      if (i.endpointEntry >= d.sbSlotCount || i.otherEntry >= d.sbSlotCount) invalid(x, "SET_SB_ENTRY selects a slot past the scoreboard");
      d.sbEntry = { endpoint: i.endpointEntry, other: i.otherEntry };
      return "next";
    case "REQ_RESOURCE":
      // Granted at once (simplified): no endpoint arbitration, so blocked reason RESOURCE never shows.
      d.reqResource = i.compute | (i.fragment << 1) | (i.tiler << 2) | (i.idvs << 3);
      return "next";
    case "SET_EXCEPTION_HANDLER": {
      if (i.exceptionType !== CS_EXCEPTION_HANDLER_TYPE.TILER_OOM) invalid(x, `exception type ${i.exceptionType} has no handler on v10`);
      const address = pointer(x, i.address);
      const length = reg(x, i.length);
      d.tilerOomHandler = address === 0 || length === 0 ? null : { address, length };
      return "next";
    }
    case "SYNC_WAIT32":
    case "SYNC_WAIT64":
      return syncWait(x, i);
    case "ERROR_BARRIER":
      // Closes the error scope: clears the sticky CS error state (inferred from Panthor's comment).
      d.errorState = 0;
      return "next";
    case "HEAP_SET":
      d.heap.context = pointer(x, i.address);
      x.effects.push({ type: "heap", operation: "set", heapContext: d.heap.context, instructionAddress: x.pc });
      return "next";
    case "FINISH_TILING":
      // Always async on the endpoint slot (inferred); the tiler flush completes instantly here.
      x.effects.push({ type: "heap", operation: "finishTiling", heapContext: d.heap.context, instructionAddress: x.pc });
      return "next";
    case "FLUSH_CACHE2":
    case "SYNC_ADD32":
    case "SYNC_SET32":
    case "SYNC_ADD64":
    case "SYNC_SET64":
    case "STORE_STATE":
    case "FINISH_FRAGMENT":
    case "HEAP_OPERATION":
      issueAsync(x, i);
      return "next";
    case "RUN_COMPUTE":
    case "RUN_COMPUTE_INDIRECT":
      return run(x, computeJob(d.regs, i));
    case "RUN_IDVS":
      return run(x, idvsJob(d.regs, i));
    case "RUN_FRAGMENT":
      return run(x, fragmentJob(d.regs, i));
    case "RUN_TILING":
    case "RUN_FULLSCREEN":
      return run(x, rawJob(d.regs, i));
    case "PROGRESS_WAIT":
    case "PROGRESS_STORE":
    case "PROGRESS_LOAD":
    case "PROT_REGION":
    case "TRACE_POINT":
      // Decode-only (cs-isa.md §9.9): semantics unverified and unused by Mesa/Panthor.
      x.effects.push({ type: "ignored", kind: i.kind, instructionAddress: x.pc });
      return "next";
  }
}

/** RUN_*: take the endpoint scoreboard slot and hand the job to the endpoints. */
function run(x: Exec, job: JobDescriptor): Outcome {
  const d = x.d;
  const slot = d.sbEntry.endpoint;
  const jobId = d.nextJobId++;
  d.scoreboard[slot]! += 1;
  d.pendingJobs.push({ id: jobId, slot });
  const heap = { vtStart: d.heap.vtStart, vtEnd: d.heap.vtEnd, fragEnd: d.heap.fragEnd };
  x.effects.push({ type: "run", jobId, sbSlot: slot, job, instructionAddress: x.pc, heap });
  return "next";
}

/**
 * LOAD/STORE_MULTIPLE: register base+i ↔ 32-bit word i at d[address] + offset for each set mask
 * bit (Mesa's interpreter; cs-isa.md §5.5 — the packed reading for masks with holes is not
 * modelled). Complete instantly, so the "other" scoreboard entry never shows busy.
 */
function loadStoreMultiple(x: Exec, i: Extract<Instruction, { kind: "LOAD_MULTIPLE" | "STORE_MULTIPLE" }>): void {
  const base = pointer(x, i.address, i.offset);
  for (let k = 0; k < 16; ) {
    if (((i.mask >>> k) & 1) === 0) {
      k++;
      continue;
    }
    let n = 0; // a run of consecutive registers becomes one memory access
    while (k + n < 16 && (i.mask >>> (k + n)) & 1) n++;
    if (i.baseRegister + k + n > x.d.regCount) invalid(x, `${i.kind} reaches past r${x.d.regCount - 1}`);
    const va = base + 4 * k;
    if (i.kind === "LOAD_MULTIPLE") {
      const bytes = load(x, va, 4 * n);
      const view = new DataView(bytes.buffer, bytes.byteOffset, 4 * n);
      for (let j = 0; j < n; j++) setReg(x, i.baseRegister + k + j, view.getUint32(4 * j, true));
    } else {
      const bytes = new Uint8Array(4 * n);
      const view = new DataView(bytes.buffer);
      for (let j = 0; j < n; j++) view.setUint32(4 * j, reg(x, i.baseRegister + k + j), true);
      store(x, va, bytes);
    }
    k += n;
  }
}

/**
 * SYNC_WAIT32/64: proceed when cond(mem, ref) holds, else block with the wait published
 * (CS_STATUS_WAIT_SYNC_*). On proceeding in inherit mode (`error_reject = 0`), a non-zero status
 * in the sync object raises CS_FAULT CS_INHERIT_FAULT (0x4b) and makes the error sticky
 * (inferred from the field names, cs-isa.md §6.4).
 */
function syncWait(x: Exec, i: Extract<Instruction, { kind: "SYNC_WAIT32" | "SYNC_WAIT64" }>): Outcome {
  if (i.condition > CS_CONDITION.ALWAYS) invalid(x, `${i.kind} condition ${i.condition} is undefined`);
  const size = i.kind === "SYNC_WAIT32" ? 32 : 64;
  const address = pointer(x, i.address);
  const reference = size === 32 ? BigInt(reg(x, i.data)) : pair(x, i.data);
  const r = readSyncObject(x.mem, address, size);
  if (!r.ok) throw new CsTrap(r.fault.exceptionType, r.fault.address, `${i.kind} read at 0x${address.toString(16)} faulted`);
  if (!syncConditionHolds(i.condition, r.value.seqno, reference)) {
    x.d.block = {
      kind: "syncWait", address, size, condition: i.condition, reference: reference.toString(), current: r.value.seqno.toString(),
      errorReject: i.errorReject === 1, recheck: false,
    };
    return "block";
  }
  if (i.errorReject === 0 && r.value.status !== 0) raiseFault(x, EXCEPTION.CS_INHERIT_FAULT, address);
  return "next";
}

/** CS_FAULT: make the error sticky, stall the CS until the host acknowledges (`ackFault`). */
export function raiseFault(x: Exec, exceptionType: number, info: number): void {
  const d = x.d;
  d.errorState = exceptionType;
  d.faultPending = { exceptionType, data: 0, info, instructionAddress: x.pc };
  x.effects.push({
    type: "fault", fatal: false, exceptionType, exceptionName: exceptionName(exceptionType), data: 0, info, instructionAddress: x.pc,
    message: `CS_FAULT ${exceptionName(exceptionType)} at 0x${x.pc.toString(16)}`,
  });
}

/** CS_FATAL from a trap: the CS stops for good. */
export function raiseFatal(x: Exec, t: CsTrap): void {
  x.d.fatal = { exceptionType: t.exceptionType, data: 0, info: t.info, instructionAddress: x.pc };
  x.d.block = null;
  x.effects.push({
    type: "fault", fatal: true, exceptionType: t.exceptionType, exceptionName: exceptionName(t.exceptionType), data: 0, info: t.info,
    instructionAddress: x.pc, message: `CS_FATAL ${exceptionName(t.exceptionType)} at 0x${x.pc.toString(16)}: ${t.message}`,
  });
}
