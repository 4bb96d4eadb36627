import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { RegisterOffsetSchema } from "../../shared/gpu/registers.ts";

const u32 = z.number().int().nonnegative().max(0xffffffff);

/** The three interrupt lines of a Mali CSF GPU (GIC SPIs `job`, `mmu`, `gpu` in the DT). */
export const IrqLineSchema = z.enum(["gpu", "mmu", "job"]);
/** An interrupt line. */
export type IrqLine = z.infer<typeof IrqLineSchema>;

/** The driver wrote a 32-bit register (`gpu_write()`). */
export const MmioWriteIssued = defineEvent(
  "MmioWriteIssued",
  z.object({ offset: RegisterOffsetSchema, value: u32 }),
  "A 32-bit MMIO write by the driver (gpu_write).",
);

/** The driver read a 32-bit register (`gpu_read()`); `tag` is the reader's, echoed in the answer. */
export const MmioReadIssued = defineEvent(
  "MmioReadIssued",
  z.object({ offset: RegisterOffsetSchema, tag: z.string().min(1) }),
  "A 32-bit MMIO read by the driver (gpu_read); answered in the same instant.",
);

/** What a read returned, with the register's name. */
export const MmioReadCompleted = defineEvent(
  "MmioReadCompleted",
  z.object({ offset: RegisterOffsetSchema, value: u32, tag: z.string().min(1), name: z.string() }),
  "The value an MMIO read returned.",
);

/** An interrupt line changed level: asserted when `<LINE>_INT_STAT` (RAWSTAT & MASK) became non-zero. */
export const IrqLineChanged = defineEvent(
  "IrqLineChanged",
  z.object({ line: IrqLineSchema, asserted: z.boolean(), status: u32 }),
  "An IRQ line was asserted or deasserted; status is INT_STAT (RAWSTAT & MASK).",
);

/** A hardware block set raw interrupt bits (the MCU raising JOB_INT GLOBAL_IF or CSG_IF(n)). */
export const IrqRaised = defineEvent(
  "IrqRaised",
  z.object({ line: IrqLineSchema, bits: u32 }),
  "A block set bits in a line's INT_RAWSTAT (the firmware's JOB_INT bits, for instance).",
);

/** A GPU_CMD soft (or hard) reset finished: RESET_COMPLETED is raw-pending and every block must forget its state. */
export const GpuSoftResetCompleted = defineEvent(
  "GpuSoftResetCompleted",
  z.object({ kind: z.enum(["soft", "hard"]) }),
  "GPU_CMD SOFT_RESET/HARD_RESET completed: power domains off, AS programming and running jobs gone.",
);

/** The driver wrote a doorbell page (`CSF_DOORBELL(i)`). */
export const DoorbellRung = defineEvent(
  "DoorbellRung",
  z.object({ doorbell: z.number().int().nonnegative() }),
  "A write to CSF_DOORBELL(i): the MCU must re-read that interface (0 = global, n + 1 = CSG slot n).",
);

/** The driver wrote MCU_CONTROL (DISABLE 0, ENABLE 1, AUTO 2). */
export const McuControlWritten = defineEvent(
  "McuControlWritten",
  z.object({ value: u32 }),
  "An MCU_CONTROL write: DISABLE 0, ENABLE 1, AUTO 2.",
);

/** The MCU firmware reports a new MCU_STATUS (DISABLED 0, ENABLED 1, HALT 2, FATAL 3). */
export const McuStatusChanged = defineEvent(
  "McuStatusChanged",
  z.object({ status: z.number().int().min(0).max(3) }),
  "The MCU's status changed; MCU_STATUS reads it and GPU_INT MCU_STATUS_CHANGED rises.",
);

/** A write the hardware drops: read-only or unknown register, missing AS, busy GPU_CMD, unmodelled command. */
export const RegisterWriteIgnored = defineEvent(
  "RegisterWriteIgnored",
  z.object({
    offset: RegisterOffsetSchema,
    name: z.string(),
    value: u32,
    reason: z.enum(["read-only", "unknown-register", "not-present", "busy", "unsupported"]),
  }),
  "A register write had no effect on the simulated hardware, and why.",
);

/** Every register-file event type. */
export const regsEvents = [
  MmioWriteIssued,
  MmioReadIssued,
  MmioReadCompleted,
  IrqLineChanged,
  IrqRaised,
  GpuSoftResetCompleted,
  DoorbellRung,
  McuControlWritten,
  McuStatusChanged,
  RegisterWriteIgnored,
] as const;
