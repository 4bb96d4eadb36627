import { encodeInstruction } from "./encoding.ts";
import type { FieldsOf, InstructionKind } from "./layouts.ts";
import { CS_CONDITION, CS_SYNC_SCOPE, type CsConditionName } from "./opcodes.ts";

/**
 * CS instruction builders, one per v10 instruction, named after it (`encode.syncAdd64`), as
 * Mesa's `cs_builder.h` helpers are (`cs_sync64_add` …). Register operands come first, in the
 * order the assembly reads (`MOVE48 d92, #imm` → `encode.move48(92, imm)`); rarely-set fields
 * (wait mask, signal slot, flags) go in an options object defaulting to 0. Each returns the
 * 64-bit instruction word (cs-isa.md §3).
 *
 * Used by tests, by the kernel ring wrapper (`ringWrapper.ts`) and by userspace stream builders.
 *
 * @example encode.move48(92, 0x1000) // 0x015c0000_00001000n
 */

const build = <K extends InstructionKind>(kind: K, fields: FieldsOf<K>): bigint =>
  encodeInstruction({ kind, ...fields } as never);

/** Deferred execution: wait for the slots in `waitMask`, signal `signalSlot` (cs-isa.md §1.3). */
export interface AsyncOptions {
  readonly waitMask?: number;
  readonly signalSlot?: number;
}

/** Options of SYNC_ADD/SET 32/64. */
export interface SyncOptions extends AsyncOptions {
  readonly errorPropagate?: boolean;
  readonly scope?: keyof typeof CS_SYNC_SCOPE;
}

/** The 2-bit staging-register selects of RUN_COMPUTE / RUN_TILING / RUN_COMPUTE_INDIRECT (cs-isa.md §4). */
export interface SelectOptions {
  readonly srtSelect?: number;
  readonly spdSelect?: number;
  readonly tsdSelect?: number;
  readonly fauSelect?: number;
  readonly progressIncrement?: boolean;
}

const b = (v: boolean | undefined): number => (v ? 1 : 0);
const asyncFields = (o: AsyncOptions = {}) => ({ waitMask: o.waitMask ?? 0, signalSlot: o.signalSlot ?? 0 });
const selectFields = (o: SelectOptions = {}) => ({
  srtSelect: o.srtSelect ?? 0,
  spdSelect: o.spdSelect ?? 0,
  tsdSelect: o.tsdSelect ?? 0,
  fauSelect: o.fauSelect ?? 0,
  progressIncrement: b(o.progressIncrement),
});
const syncFields = (address: number, data: number, o: SyncOptions = {}) => ({
  errorPropagate: b(o.errorPropagate),
  scope: CS_SYNC_SCOPE[o.scope ?? "SYSTEM"],
  ...asyncFields(o),
  data,
  address,
});
const syncWaitFields = (condition: CsConditionName, address: number, data: number, errorReject: boolean) => ({
  errorReject: b(errorReject),
  condition: CS_CONDITION[condition],
  data,
  address,
});

/** The encoder: one builder per instruction (see the module comment). */
export const encode = {
  nop: () => build("NOP", {}),
  move48: (destination: number, immediate: number) => build("MOVE48", { immediate, destination }),
  move32: (destination: number, immediate: number) => build("MOVE32", { immediate, destination }),
  wait: (waitMask: number, o: { progressIncrement?: boolean } = {}) =>
    build("WAIT", { waitMask, progressIncrement: b(o.progressIncrement) }),
  runCompute: (o: SelectOptions & { taskIncrement?: number; taskAxis?: number } = {}) =>
    build("RUN_COMPUTE", { taskIncrement: o.taskIncrement ?? 0, taskAxis: o.taskAxis ?? 0, ...selectFields(o) }),
  runTiling: (o: SelectOptions & { flagsOverride?: number } = {}) =>
    build("RUN_TILING", { flagsOverride: o.flagsOverride ?? 0, ...selectFields(o) }),
  runIdvs: (o: Partial<FieldsOf<"RUN_IDVS">> = {}) =>
    build("RUN_IDVS", {
      flagsOverride: 0, progressIncrement: 0, mallocEnable: 0, drawIdRegisterEnable: 0, varyingSrtSelect: 0,
      varyingFauSelect: 0, varyingTsdSelect: 0, fragmentSrtSelect: 0, fragmentTsdSelect: 0, drawId: 0, ...o,
    }),
  runFragment: (o: { enableTem?: boolean; tileOrder?: number; progressIncrement?: boolean } = {}) =>
    build("RUN_FRAGMENT", { enableTem: b(o.enableTem), tileOrder: o.tileOrder ?? 0, progressIncrement: b(o.progressIncrement) }),
  runFullscreen: (dcd: number, o: { flagsOverride?: number; progressIncrement?: boolean } = {}) =>
    build("RUN_FULLSCREEN", { flagsOverride: o.flagsOverride ?? 0, progressIncrement: b(o.progressIncrement), dcd }),
  finishTiling: (o: { progressIncrement?: boolean } = {}) => build("FINISH_TILING", { progressIncrement: b(o.progressIncrement) }),
  finishFragment: (lastHeapChunk: number, firstHeapChunk: number, o: AsyncOptions & { incrementFragmentCompleted?: boolean } = {}) =>
    build("FINISH_FRAGMENT", { incrementFragmentCompleted: b(o.incrementFragmentCompleted), ...asyncFields(o), lastHeapChunk, firstHeapChunk }),
  addImmediate32: (destination: number, source: number, immediate: number) =>
    build("ADD_IMMEDIATE32", { immediate, source, destination }),
  addImmediate64: (destination: number, source: number, immediate: number) =>
    build("ADD_IMMEDIATE64", { immediate, source, destination }),
  /** COMPARE_SELECT32 in the only form Mesa knows, `cs_umin32`: r[dst] = min(r[src0], r[src1]). */
  compareSelect32: (destination: number, source0: number, source1: number) =>
    build("COMPARE_SELECT32", { source1, source0, destination }),
  loadMultiple: (baseRegister: number, address: number, mask: number, offset = 0) =>
    build("LOAD_MULTIPLE", { offset, mask, address, baseRegister }),
  storeMultiple: (baseRegister: number, address: number, mask: number, offset = 0) =>
    build("STORE_MULTIPLE", { offset, mask, address, baseRegister }),
  /** BRANCH: `offset` counts instructions from the next one (cs-isa.md §1.4). */
  branch: (condition: CsConditionName, value: number, offset: number) =>
    build("BRANCH", { offset, condition: CS_CONDITION[condition], value }),
  setSbEntry: (endpointEntry: number, otherEntry: number) => build("SET_SB_ENTRY", { endpointEntry, otherEntry }),
  progressWait: (source: number, queue: number) => build("PROGRESS_WAIT", { queue, source }),
  setExceptionHandler: (exceptionType: number, address: number, length: number) =>
    build("SET_EXCEPTION_HANDLER", { exceptionType, length, address }),
  call: (address: number, length: number) => build("CALL", { length, address }),
  jump: (address: number, length: number) => build("JUMP", { length, address }),
  reqResource: (o: { compute?: boolean; fragment?: boolean; tiler?: boolean; idvs?: boolean } = {}) =>
    build("REQ_RESOURCE", { compute: b(o.compute), fragment: b(o.fragment), tiler: b(o.tiler), idvs: b(o.idvs) }),
  flushCache2: (latestFlushId: number, o: AsyncOptions & { l2?: number; lsc?: number; other?: number } = {}) =>
    build("FLUSH_CACHE2", { l2FlushMode: o.l2 ?? 0, lscFlushMode: o.lsc ?? 0, otherFlushMode: o.other ?? 0, ...asyncFields(o), latestFlushId }),
  syncAdd32: (address: number, data: number, o?: SyncOptions) => build("SYNC_ADD32", syncFields(address, data, o)),
  syncSet32: (address: number, data: number, o?: SyncOptions) => build("SYNC_SET32", syncFields(address, data, o)),
  syncWait32: (condition: CsConditionName, address: number, data: number, o: { errorReject?: boolean } = {}) =>
    build("SYNC_WAIT32", syncWaitFields(condition, address, data, o.errorReject ?? false)),
  storeState: (address: number, state: number, o: AsyncOptions & { offset?: number } = {}) =>
    build("STORE_STATE", { offset: o.offset ?? 0, ...asyncFields(o), state, address }),
  protRegion: (size: number) => build("PROT_REGION", { size }),
  progressStore: (source: number) => build("PROGRESS_STORE", { source }),
  progressLoad: (destination: number) => build("PROGRESS_LOAD", { destination }),
  runComputeIndirect: (workgroupsPerTask: number, o: SelectOptions = {}) =>
    build("RUN_COMPUTE_INDIRECT", { workgroupsPerTask, ...selectFields(o) }),
  errorBarrier: () => build("ERROR_BARRIER", {}),
  heapSet: (address: number) => build("HEAP_SET", { address }),
  heapOperation: (operation: number, o?: AsyncOptions) => build("HEAP_OPERATION", { ...asyncFields(o), operation }),
  tracePoint: (baseRegister: number, registerCount: number, o?: AsyncOptions) =>
    build("TRACE_POINT", { ...asyncFields(o), baseRegister, registerCount }),
  syncAdd64: (address: number, data: number, o?: SyncOptions) => build("SYNC_ADD64", syncFields(address, data, o)),
  syncSet64: (address: number, data: number, o?: SyncOptions) => build("SYNC_SET64", syncFields(address, data, o)),
  syncWait64: (condition: CsConditionName, address: number, data: number, o: { errorReject?: boolean } = {}) =>
    build("SYNC_WAIT64", syncWaitFields(condition, address, data, o.errorReject ?? false)),
} as const;
