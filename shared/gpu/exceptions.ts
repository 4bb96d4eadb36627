/**
 * Mali CSF exception codes, as `enum drm_panthor_exception_type` in `panthor_device.h` spells
 * them (without the `DRM_PANTHOR_EXCEPTION_` prefix). The same 8-bit codes appear in
 * `CS_FAULT`/`CS_FATAL`, `CSG` fault words, `GPU_FAULT_STATUS[7:0]` and `AS_FAULTSTATUS[7:0]`.
 * Codes above `MAX_NON_FAULT` (0x3f) are faults (`panthor_exception_is_fault()`).
 */
export const EXCEPTION = {
  OK: 0x00,
  TERMINATED: 0x04,
  KABOOM: 0x05,
  EUREKA: 0x06,
  ACTIVE: 0x08,
  CS_RES_TERM: 0x0f,
  MAX_NON_FAULT: 0x3f,
  CS_CONFIG_FAULT: 0x40,
  CS_UNRECOVERABLE: 0x41,
  CS_ENDPOINT_FAULT: 0x44,
  CS_BUS_FAULT: 0x48,
  CS_INSTR_INVALID: 0x49,
  CS_CALL_STACK_OVERFLOW: 0x4a,
  CS_INHERIT_FAULT: 0x4b,
  INSTR_INVALID_PC: 0x50,
  INSTR_INVALID_ENC: 0x51,
  INSTR_BARRIER_FAULT: 0x55,
  DATA_INVALID_FAULT: 0x58,
  TILE_RANGE_FAULT: 0x59,
  ADDR_RANGE_FAULT: 0x5a,
  IMPRECISE_FAULT: 0x5b,
  OOM: 0x60,
  CSF_FW_INTERNAL_ERROR: 0x68,
  CSF_RES_EVICTION_TIMEOUT: 0x69,
  GPU_BUS_FAULT: 0x80,
  GPU_SHAREABILITY_FAULT: 0x88,
  SYS_SHAREABILITY_FAULT: 0x89,
  GPU_CACHEABILITY_FAULT: 0x8a,
  TRANSLATION_FAULT_0: 0xc0,
  TRANSLATION_FAULT_1: 0xc1,
  TRANSLATION_FAULT_2: 0xc2,
  TRANSLATION_FAULT_3: 0xc3,
  TRANSLATION_FAULT_4: 0xc4,
  PERM_FAULT_0: 0xc8,
  PERM_FAULT_1: 0xc9,
  PERM_FAULT_2: 0xca,
  PERM_FAULT_3: 0xcb,
  ACCESS_FLAG_1: 0xd9,
  ACCESS_FLAG_2: 0xda,
  ACCESS_FLAG_3: 0xdb,
  ADDR_SIZE_FAULT_IN: 0xe0,
  ADDR_SIZE_FAULT_OUT0: 0xe4,
  ADDR_SIZE_FAULT_OUT1: 0xe5,
  ADDR_SIZE_FAULT_OUT2: 0xe6,
  ADDR_SIZE_FAULT_OUT3: 0xe7,
  MEM_ATTR_FAULT_0: 0xe8,
  MEM_ATTR_FAULT_1: 0xe9,
  MEM_ATTR_FAULT_2: 0xea,
  MEM_ATTR_FAULT_3: 0xeb,
} as const;

/** The name of an exception type, e.g. `"TRANSLATION_FAULT_1"`. */
export type ExceptionName = keyof typeof EXCEPTION;

/** A known exception code. */
export type ExceptionCode = (typeof EXCEPTION)[ExceptionName];

const NAME_BY_CODE: ReadonlyMap<number, ExceptionName> = new Map(
  (Object.entries(EXCEPTION) as [ExceptionName, number][]).map(([name, code]) => [code, name]),
);

/**
 * The name of an exception code for logs, mirroring `panthor_exception_name()`, which answers
 * "Unknown exception type" for codes missing from its table; here the code is kept
 * (`"UNKNOWN_EXCEPTION_0x7f"`) so the log stays useful.
 *
 * @example exceptionName(0xc1) // "TRANSLATION_FAULT_1"
 */
export function exceptionName(code: number): string {
  const c = code & 0xff;
  return NAME_BY_CODE.get(c) ?? `UNKNOWN_EXCEPTION_0x${c.toString(16).padStart(2, "0")}`;
}

/** True for fault codes (> `MAX_NON_FAULT`), as `panthor_exception_is_fault()`. */
export function isFault(code: number): boolean {
  return (code & 0xff) > EXCEPTION.MAX_NON_FAULT;
}

/** The translation-fault code for a page-table level (0..4): 0xc0 + level, as the MMU reports. */
export function translationFault(level: number): ExceptionCode {
  if (!Number.isInteger(level) || level < 0 || level > 4) {
    throw new RangeError(`translation fault level must be 0..4, got ${level}`);
  }
  return (EXCEPTION.TRANSLATION_FAULT_0 + level) as ExceptionCode;
}

/** The permission-fault code for a page-table level (0..3): 0xc8 + level. */
export function permissionFault(level: number): ExceptionCode {
  if (!Number.isInteger(level) || level < 0 || level > 3) {
    throw new RangeError(`permission fault level must be 0..3, got ${level}`);
  }
  return (EXCEPTION.PERM_FAULT_0 + level) as ExceptionCode;
}
