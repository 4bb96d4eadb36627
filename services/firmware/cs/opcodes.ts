/**
 * Valhall v10 (Mali-G610) command-stream opcodes and operand enumerations, as Mesa's
 * `src/panfrost/genxml/v10.xml` spells them (`MALI_CS_OPCODE_*`, `MALI_CS_CONDITION_*` …),
 * restated in cs-isa.md §2 and §3. The opcode is bits [63:56] of every 64-bit instruction word.
 *
 * Opcodes 10, 12–15, 19, 26–31, 35, 45, 46 and 54–255 are undefined on v10; the interpreter
 * raises CS_INSTR_INVALID (0x49) for them (cs-isa.md §7.1).
 */
export const OPCODE = {
  NOP: 0,
  MOVE48: 1,
  MOVE32: 2,
  WAIT: 3,
  RUN_COMPUTE: 4,
  RUN_TILING: 5,
  RUN_IDVS: 6,
  RUN_FRAGMENT: 7,
  RUN_FULLSCREEN: 8,
  FINISH_TILING: 9,
  FINISH_FRAGMENT: 11,
  ADD_IMMEDIATE32: 16,
  ADD_IMMEDIATE64: 17,
  COMPARE_SELECT32: 18,
  LOAD_MULTIPLE: 20,
  STORE_MULTIPLE: 21,
  BRANCH: 22,
  SET_SB_ENTRY: 23,
  PROGRESS_WAIT: 24,
  SET_EXCEPTION_HANDLER: 25,
  CALL: 32,
  JUMP: 33,
  REQ_RESOURCE: 34,
  FLUSH_CACHE2: 36,
  SYNC_ADD32: 37,
  SYNC_SET32: 38,
  SYNC_WAIT32: 39,
  STORE_STATE: 40,
  PROT_REGION: 41,
  PROGRESS_STORE: 42,
  PROGRESS_LOAD: 43,
  RUN_COMPUTE_INDIRECT: 44,
  ERROR_BARRIER: 47,
  HEAP_SET: 48,
  HEAP_OPERATION: 49,
  TRACE_POINT: 50,
  SYNC_ADD64: 51,
  SYNC_SET64: 52,
  SYNC_WAIT64: 53,
} as const;

/** An instruction name as the ISA spells it (`"SYNC_ADD64"`). */
export type OpcodeName = keyof typeof OPCODE;

const NAME_BY_OPCODE: ReadonlyMap<number, OpcodeName> = new Map(
  (Object.entries(OPCODE) as [OpcodeName, number][]).map(([name, op]) => [op, name]),
);

/** The instruction name of an opcode, or undefined for an opcode v10 does not define. */
export function opcodeName(opcode: number): OpcodeName | undefined {
  return NAME_BY_OPCODE.get(opcode);
}

/**
 * `MALI_CS_CONDITION_*` (cs-isa.md §2). BRANCH tests a register as a signed 32-bit value against
 * zero; SYNC_WAIT compares memory with a reference, unsigned. 7 is undefined.
 */
export const CS_CONDITION = { LEQUAL: 0, GREATER: 1, EQUAL: 2, NEQUAL: 3, LESS: 4, GEQUAL: 5, ALWAYS: 6 } as const;
/** A condition name. */
export type CsConditionName = keyof typeof CS_CONDITION;

/** `MALI_CS_SYNC_SCOPE_*`: which waiters a SYNC_ADD/SET unblocks. 1 and 3 are undefined. */
export const CS_SYNC_SCOPE = { SYSTEM: 0, CSG: 2 } as const;

/** `MALI_CS_FLUSH_MODE_*` for the L2 and load/store caches of FLUSH_CACHE2. 2 is invalid. */
export const CS_FLUSH_MODE = { NONE: 0, CLEAN: 1, CLEAN_AND_INVALIDATE: 3 } as const;

/** `MALI_CS_OTHER_FLUSH_MODE_*` (texture and other read-only caches). 1 and 3 are invalid. */
export const CS_OTHER_FLUSH_MODE = { NONE: 0, INVALIDATE: 2 } as const;

/** `MALI_CS_STATE_*`: the 64-bit value STORE_STATE writes. */
export const CS_STATE = { TIMESTAMP: 0, CYCLE_COUNT: 1, DISJOINT_COUNT: 2, ERROR_STATUS: 3 } as const;

/** `MALI_CS_HEAP_OPERATION_*` (HEAP_OPERATION). 2 is undefined. */
export const CS_HEAP_OPERATION = { VERTEX_TILER_STARTED: 0, VERTEX_TILER_COMPLETED: 1, FRAGMENT_COMPLETED: 3 } as const;

/** `MALI_CS_EXCEPTION_TYPE_*` for SET_EXCEPTION_HANDLER: only TILER_OOM exists on v10. */
export const CS_EXCEPTION_HANDLER_TYPE = { TILER_OOM: 2 } as const;

/** `MALI_TASK_AXIS_*` (RUN_COMPUTE). */
export const TASK_AXIS = { X: 0, Y: 1, Z: 2 } as const;

/** Value → first name declared with it, per enum table (the tables are constants, so built once each). */
const NAMES = new WeakMap<object, ReadonlyMap<number, string>>();

/** Name of an enum value, or undefined when the value is not defined (an invalid encoding). */
export function enumName<T extends Readonly<Record<string, number>>>(table: T, value: number): keyof T | undefined {
  let names = NAMES.get(table);
  if (names === undefined) {
    const m = new Map<number, string>();
    for (const [name, v] of Object.entries(table)) if (!m.has(v)) m.set(v, name);
    NAMES.set(table, (names = m));
  }
  return names.get(value) as keyof T | undefined;
}
