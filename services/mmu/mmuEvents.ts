import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { MAX_AS_SLOTS } from "../../shared/gpu/registers.ts";

/**
 * A 64-bit register image (AS_TRANSTAB, AS_MEMATTR, AS_TRANSCFG, AS_LOCKADDR) as a lowercase hex
 * string: MEMATTR routinely exceeds 2^53, and hex reads like the kernel's `%016llx` logs.
 */
export const Hex64Schema = z.string().regex(/^0x[0-9a-f]{1,16}$/, "a 64-bit hex value like 0x1a2b");

/** Hex image of a 64-bit register from its value. */
export const hex64 = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** An address-space slot number (`MMU_AS(as)`). */
export const AsSchema = z.number().int().min(0).max(MAX_AS_SLOTS - 1);

/** AS_COMMAND codes by name (`AS_COMMAND_*`). */
export const AsCommandNameSchema = z.enum(["NOP", "UPDATE", "LOCK", "UNLOCK", "FLUSH_PT", "FLUSH_MEM"]);
/** An AS command name. */
export type AsCommandName = z.infer<typeof AsCommandNameSchema>;

/** A GPU virtual address (48 bits on Mali-G610). */
const va = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The access kinds a job declares for its ranges (AS_FAULTSTATUS access types READ, WRITE, EX). */
export const RangeAccessSchema = z.enum(["read", "write", "execute"]);

/** A range of GPU VA a job accesses. */
export const AccessRangeSchema = z.object({ va, size: z.number().int().positive(), access: RangeAccessSchema });

/** The driver wrote AS_COMMAND; carries the AS registers as they were at that moment. */
export const AsCommandIssued = defineEvent(
  "AsCommandIssued",
  z.object({
    as: AsSchema,
    command: AsCommandNameSchema,
    transtab: Hex64Schema,
    memattr: Hex64Schema,
    transcfg: Hex64Schema,
    lockaddr: Hex64Schema,
    /** The AS's page-fault bit was still set in MMU_INT_RAWSTAT (a faulted AS leaves its fault state only once it is cleared). */
    faultPending: z.boolean(),
  }),
  "An AS_COMMAND write (UPDATE, LOCK, UNLOCK, FLUSH_PT, FLUSH_MEM) with the AS registers it acts on.",
);

/** The MMU finished an AS command: AS_STATUS.AS_ACTIVE clears. */
export const AsCommandCompleted = defineEvent(
  "AsCommandCompleted",
  z.object({ as: AsSchema, command: AsCommandNameSchema }),
  "An AS command took effect; AS_STATUS.AS_ACTIVE clears.",
);

/** The MMU refused an AS command: one was still active on the slot, or the slot does not exist. */
export const AsCommandRejected = defineEvent(
  "AsCommandRejected",
  z.object({ as: AsSchema, command: AsCommandNameSchema, reason: z.enum(["busy", "not-present"]) }),
  "An AS command was written while another was active (panthor waits for AS_ACTIVE to clear), or to a missing AS.",
);

/** A fault as AS_FAULTSTATUS / AS_FAULTADDRESS hold it. */
export const MmuFaultSchema = z.object({
  /** AS_FAULTSTATUS: exception type [7:0] | access type [9:8] | source id [31:16]. */
  faultStatus: z.number().int().nonnegative().max(0xffffffff),
  /** AS_FAULTADDRESS: the faulting GPU VA. */
  faultAddress: va,
  exceptionType: z.number().int().min(0).max(0xff),
  /** `panthor_exception_name()` of the exception type, for the log reader. */
  exceptionName: z.string(),
  /** AS_FAULTSTATUS access type: ATOMIC 0, EXECUTE 1, READ 2, WRITE 3. */
  accessType: z.number().int().min(0).max(3),
});

/** An AS latched a page fault: AS_FAULTSTATUS/AS_FAULTADDRESS are set and its MMU_INT bit rises. */
export const AsFaultRaised = defineEvent(
  "AsFaultRaised",
  MmuFaultSchema.extend({ as: AsSchema, job: z.string().optional() }),
  "An address space faulted: translation, permission, access-flag or bus fault, with status and address.",
);

/** A block (the shader cores, later the MCU) asks the MMU to translate a job's ranges. */
export const TranslationRequested = defineEvent(
  "TranslationRequested",
  z.object({ requester: z.string().min(1), job: z.string().min(1), as: AsSchema, ranges: z.array(AccessRangeSchema).min(1) }),
  "Translate a job's memory ranges through an address space.",
);

/** The MMU's answer: the ranges' physical segments, or the fault that stopped the translation. */
export const TranslationCompleted = defineEvent(
  "TranslationCompleted",
  z.object({
    requester: z.string().min(1),
    job: z.string().min(1),
    as: AsSchema,
    ok: z.boolean(),
    segments: z.array(z.object({ va, pa: va, size: z.number().int().positive() })),
    /** With ok false: the fault; `latched` when the AS was already faulted and this is its pending fault. */
    fault: MmuFaultSchema.extend({ latched: z.boolean() }).optional(),
  }),
  "A translation finished: physical segments of every range, or the fault that ended it.",
);

/** A translation hit a locked region and waits for UNLOCK/FLUSH instead of faulting. */
export const TranslationStalled = defineEvent(
  "TranslationStalled",
  z.object({ requester: z.string().min(1), job: z.string().min(1), as: AsSchema, va, lockStart: va, lockSize: z.number().int().positive() }),
  "A translation touched the AS's locked region and waits until it is released.",
);

/** Every MMU event type. */
export const mmuEvents = [
  AsCommandIssued,
  AsCommandCompleted,
  AsCommandRejected,
  AsFaultRaised,
  TranslationRequested,
  TranslationCompleted,
  TranslationStalled,
] as const;
