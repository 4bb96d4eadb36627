import { OPCODE } from "./opcodes.ts";

/**
 * Bit layouts of every v10 CS instruction, from the "Fields" column of cs-isa.md §3 (itself
 * restated from Mesa's `v10.xml`). Field names are the genxml names in camelCase
 * (`signal_slot` → `signalSlot`), so `decode()` output reads like Mesa's `cs_unpack()` structs.
 *
 * A field is `[lowBit, width]` or `[lowBit, width, "signed"]`; every field is at most 48 bits
 * wide, so values are plain JS numbers. Bits not covered by a field are ignored on decode and
 * zero on encode (cs-isa.md §3: "bits not listed are zero / ignored").
 */
export type FieldSpec = readonly [lowBit: number, width: number] | readonly [lowBit: number, width: number, signed: "signed"];

/** One instruction's opcode and operand fields. */
export interface InstructionLayout {
  readonly opcode: number;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const reg = (lo: number): FieldSpec => [lo, 8];
const bit = (lo: number): FieldSpec => [lo, 1];
/** The srt/spd/tsd/fau 2-bit selects shared by RUN_COMPUTE, RUN_TILING and RUN_COMPUTE_INDIRECT. */
const selects = { srtSelect: [40, 2], spdSelect: [42, 2], tsdSelect: [44, 2], fauSelect: [46, 2] } as const;
/** wait_mask [31:16] and signal_slot [51:48] of the "optionally async" instructions. */
const async = { waitMask: [16, 16], signalSlot: [48, 4] } as const;
const sync = { errorPropagate: bit(0), scope: [1, 2], ...async, data: reg(32), address: reg(40) } as const;
const syncWait = { errorReject: bit(0), condition: [28, 4], data: reg(32), address: reg(40) } as const;
const memMultiple = { offset: [0, 16, "signed"], mask: [16, 16], address: reg(40), baseRegister: reg(48) } as const;
const addImmediate = { immediate: [0, 32, "signed"], source: reg(40), destination: reg(48) } as const;
const callJump = { length: reg(32), address: reg(40) } as const;

/** The layout table: one entry per v10 opcode (cs-isa.md §3). */
export const LAYOUT = {
  NOP: { opcode: OPCODE.NOP, fields: {} },
  MOVE48: { opcode: OPCODE.MOVE48, fields: { immediate: [0, 48], destination: reg(48) } },
  MOVE32: { opcode: OPCODE.MOVE32, fields: { immediate: [0, 32], destination: reg(48) } },
  WAIT: { opcode: OPCODE.WAIT, fields: { waitMask: [16, 8], progressIncrement: bit(32) } },
  RUN_COMPUTE: {
    opcode: OPCODE.RUN_COMPUTE,
    fields: { taskIncrement: [0, 14], taskAxis: [14, 2], progressIncrement: bit(32), ...selects },
  },
  RUN_TILING: { opcode: OPCODE.RUN_TILING, fields: { flagsOverride: [0, 32], progressIncrement: bit(32), ...selects } },
  RUN_IDVS: {
    opcode: OPCODE.RUN_IDVS,
    fields: {
      flagsOverride: [0, 32],
      progressIncrement: bit(32),
      mallocEnable: bit(33),
      drawIdRegisterEnable: bit(34),
      varyingSrtSelect: bit(35),
      varyingFauSelect: bit(36),
      varyingTsdSelect: bit(37),
      fragmentSrtSelect: bit(38),
      fragmentTsdSelect: bit(39),
      drawId: reg(40),
    },
  },
  RUN_FRAGMENT: { opcode: OPCODE.RUN_FRAGMENT, fields: { enableTem: bit(0), tileOrder: [4, 4], progressIncrement: bit(32) } },
  RUN_FULLSCREEN: { opcode: OPCODE.RUN_FULLSCREEN, fields: { flagsOverride: [0, 32], progressIncrement: bit(32), dcd: reg(40) } },
  FINISH_TILING: { opcode: OPCODE.FINISH_TILING, fields: { progressIncrement: bit(32) } },
  FINISH_FRAGMENT: {
    opcode: OPCODE.FINISH_FRAGMENT,
    fields: { incrementFragmentCompleted: bit(0), ...async, lastHeapChunk: reg(32), firstHeapChunk: reg(40) },
  },
  ADD_IMMEDIATE32: { opcode: OPCODE.ADD_IMMEDIATE32, fields: addImmediate },
  ADD_IMMEDIATE64: { opcode: OPCODE.ADD_IMMEDIATE64, fields: addImmediate },
  COMPARE_SELECT32: { opcode: OPCODE.COMPARE_SELECT32, fields: { source1: reg(32), source0: reg(40), destination: reg(48) } },
  LOAD_MULTIPLE: { opcode: OPCODE.LOAD_MULTIPLE, fields: memMultiple },
  STORE_MULTIPLE: { opcode: OPCODE.STORE_MULTIPLE, fields: memMultiple },
  BRANCH: { opcode: OPCODE.BRANCH, fields: { offset: [0, 16, "signed"], condition: [28, 3], value: reg(40) } },
  SET_SB_ENTRY: { opcode: OPCODE.SET_SB_ENTRY, fields: { endpointEntry: [0, 4], otherEntry: [4, 4] } },
  PROGRESS_WAIT: { opcode: OPCODE.PROGRESS_WAIT, fields: { queue: [0, 5], source: reg(40) } },
  SET_EXCEPTION_HANDLER: { opcode: OPCODE.SET_EXCEPTION_HANDLER, fields: { exceptionType: [0, 8], ...callJump } },
  CALL: { opcode: OPCODE.CALL, fields: callJump },
  JUMP: { opcode: OPCODE.JUMP, fields: callJump },
  REQ_RESOURCE: { opcode: OPCODE.REQ_RESOURCE, fields: { compute: bit(0), fragment: bit(1), tiler: bit(2), idvs: bit(3) } },
  FLUSH_CACHE2: {
    opcode: OPCODE.FLUSH_CACHE2,
    fields: { l2FlushMode: [0, 4], lscFlushMode: [4, 4], otherFlushMode: [8, 4], ...async, latestFlushId: reg(40) },
  },
  SYNC_ADD32: { opcode: OPCODE.SYNC_ADD32, fields: sync },
  SYNC_SET32: { opcode: OPCODE.SYNC_SET32, fields: sync },
  SYNC_WAIT32: { opcode: OPCODE.SYNC_WAIT32, fields: syncWait },
  STORE_STATE: { opcode: OPCODE.STORE_STATE, fields: { offset: [0, 16, "signed"], ...async, state: [32, 2], address: reg(40) } },
  PROT_REGION: { opcode: OPCODE.PROT_REGION, fields: { size: [0, 16] } },
  PROGRESS_STORE: { opcode: OPCODE.PROGRESS_STORE, fields: { source: reg(40) } },
  PROGRESS_LOAD: { opcode: OPCODE.PROGRESS_LOAD, fields: { destination: reg(48) } },
  RUN_COMPUTE_INDIRECT: {
    opcode: OPCODE.RUN_COMPUTE_INDIRECT,
    fields: { workgroupsPerTask: [0, 16], progressIncrement: bit(32), ...selects },
  },
  ERROR_BARRIER: { opcode: OPCODE.ERROR_BARRIER, fields: {} },
  HEAP_SET: { opcode: OPCODE.HEAP_SET, fields: { address: reg(40) } },
  HEAP_OPERATION: { opcode: OPCODE.HEAP_OPERATION, fields: { ...async, operation: [32, 2] } },
  TRACE_POINT: { opcode: OPCODE.TRACE_POINT, fields: { ...async, baseRegister: reg(32), registerCount: reg(40) } },
  SYNC_ADD64: { opcode: OPCODE.SYNC_ADD64, fields: sync },
  SYNC_SET64: { opcode: OPCODE.SYNC_SET64, fields: sync },
  SYNC_WAIT64: { opcode: OPCODE.SYNC_WAIT64, fields: syncWait },
} as const satisfies Record<string, InstructionLayout>;

/** An instruction kind: its ISA name. */
export type InstructionKind = keyof typeof LAYOUT;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A decoded instruction of kind `K`: `{ kind, ...fields }` with every field a number. */
export type InstructionOf<K extends InstructionKind> = Simplify<
  { readonly kind: K } & { readonly [F in keyof (typeof LAYOUT)[K]["fields"]]: number }
>;

/** Any decoded v10 instruction, discriminated by `kind`. */
export type Instruction = { [K in InstructionKind]: InstructionOf<K> }[InstructionKind];

/** What `decode()` returns for an opcode v10 does not define. */
export interface InvalidInstruction {
  readonly kind: "invalid";
  readonly opcode: number;
}

/** The decoder's answer: an instruction or an invalid opcode. */
export type Decoded = Instruction | InvalidInstruction;

/** The operand fields of kind `K` (everything but `kind`). */
export type FieldsOf<K extends InstructionKind> = Omit<InstructionOf<K>, "kind">;
