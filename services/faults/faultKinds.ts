/**
 * What each injectable fault is, as one zod schema per kind joined in a discriminated union on
 * `kind`. The schemas are the single source of truth: `FaultInjected` validates with them, the
 * scenario loader and `tyrsim inject` reject what they reject, and `tyrsim faults` lists their
 * fields from the same definitions. Which actor applies a kind and which events it can wait for
 * is in `faultCatalogue.ts`.
 */
import { z } from "zod";
import { IrqLineSchema } from "../regs/regsEvents.ts";
import { SupplyKindSchema } from "../power/supplyEvents.ts";

const gpu = z.number().int().nonnegative().default(0).describe("GPU index (default 0)");
const job = z.string().min(1).describe("the job id (default: the next job dispatched, or the trigger's JobDispatched)");
const u32 = z.number().int().nonnegative().max(0xffffffff);
const va = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A dispatched job never completes (it keeps its cores until a reset or power loss). */
export const JobHangFault = z.strictObject({ kind: z.literal("job-hang"), gpu, job: job.optional() });

/** A shader core faults halfway through a job: the job ends `JobFaulted` (reason `injected`). */
export const ShaderFault = z.strictObject({ kind: z.literal("shader-fault"), gpu, job: job.optional() });

/**
 * A job touches memory its VM does not allow: an injected bad range is translated first.
 * `translation`: a page at `va` (default 0xdead00000000, unmapped) is read; `permission`: `va`
 * (default the job's first range) is written — a permission fault when that page is mapped
 * read-only (VM_BIND `MAP_READONLY`), as it is in scenarios/mmu-fault.yaml.
 */
export const MmuFaultInjection = z.strictObject({
  kind: z.literal("mmu-fault"),
  gpu,
  fault: z.enum(["translation", "permission"]).describe("translation: touch an unmapped page; permission: write a (read-only) mapped page"),
  va: va.optional().describe("GPU VA touched (default: 0xdead00000000 for translation, the job's first range for permission)"),
  access: z.enum(["read", "write", "execute"]).optional().describe("access type (default read for translation, write for permission)"),
  job: job.optional(),
});

/** The MCU firmware crashes: MCU_STATUS FATAL, halt_status PANIC, nothing acknowledged until a reset. */
export const FirmwareCrashFault = z.strictObject({ kind: z.literal("firmware-crash"), gpu });

/** The firmware stops acknowledging GLB_PING (panthor's watchdog then times out). */
export const FirmwarePingIgnoredFault = z.strictObject({ kind: z.literal("firmware-ping-ignored"), gpu });

/** The next assertion of an interrupt line never reaches the CPU (RAWSTAT keeps its bits). */
export const IrqLostFault = z.strictObject({ kind: z.literal("irq-lost"), gpu, line: IrqLineSchema.describe("interrupt line: gpu, mmu or job") });

/** Raw interrupt bits nobody raised appear in a line's INT_RAWSTAT (asserting it if unmasked). */
export const IrqSpuriousFault = z.strictObject({
  kind: z.literal("irq-spurious"),
  gpu,
  line: IrqLineSchema.describe("interrupt line: gpu, mmu or job"),
  bits: u32.min(1).describe("INT_RAWSTAT bits set"),
});

/** The next GPU_CMD SOFT_RESET never completes: RESET_COMPLETED never rises (a HARD_RESET still works). */
export const ResetStuckFault = z.strictObject({ kind: z.literal("reset-stuck"), gpu });

/** The next (or every) enable of a clock or regulator fails: -ETIMEDOUT for a clock, -EIO for a regulator. */
export const SupplyFailureFault = z.strictObject({
  kind: z.literal("supply-failure"),
  gpu,
  target: SupplyKindSchema.describe("clock or regulator"),
  name: z.string().min(1).describe("DT name: core, stacks, coregroup; mali, sram"),
  mode: z.enum(["next-enable", "always"]).default("next-enable").describe("fail the next enable only, or every enable"),
});

/** DVFS stuck: the GPU drops to its lowest OPP and every later frequency change is refused. */
export const DvfsStuckFault = z.strictObject({ kind: z.literal("dvfs-stuck"), gpu });

/** System memory shrinks by `bytes`: `MemoryPressureApplied`, which the driver's GEM shrinker must honour. */
export const MemoryPressureFault = z.strictObject({
  kind: z.literal("memory-pressure"),
  gpu,
  bytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe("bytes of system RAM taken away"),
});

/**
 * A service process of a multi-process run dies at this instant (the runtime kills it); it is
 * restarted and rebuilds its actors from the run's log, virtual time waiting for it. The embedded
 * runtime, with no processes, rejects it.
 */
export const ServiceDiedFault = z.strictObject({
  kind: z.literal("service-died"),
  service: z.string().min(1).describe("service name as in docker-compose.yml (regs, mmu, firmware, …)"),
});

/** The next `count` actor events on a subject are lost by the runtime's routing (never delivered, `MessageDropped`). */
export const MessageLossFault = z.strictObject({
  kind: z.literal("message-loss"),
  subject: z.string().min(1).describe("subject pattern inside the run, NATS wildcards allowed"),
  count: z.number().int().min(1).default(1).describe("messages dropped"),
});

/** The next `count` actor events on a subject arrive late by a virtual delay (`MessageDelayed`, then the event). */
export const MessageDelayFault = z.strictObject({
  kind: z.literal("message-delay"),
  subject: z.string().min(1).describe("subject pattern inside the run, NATS wildcards allowed"),
  delayNs: z.number().int().positive().describe("virtual delay added, ns"),
  count: z.number().int().min(1).default(1).describe("messages delayed"),
});

/** Every fault kind's schema, in catalogue order. */
export const FAULT_SCHEMAS = [
  JobHangFault, ShaderFault, MmuFaultInjection, FirmwareCrashFault, FirmwarePingIgnoredFault, IrqLostFault, IrqSpuriousFault,
  ResetStuckFault, SupplyFailureFault, DvfsStuckFault, MemoryPressureFault, ServiceDiedFault, MessageLossFault, MessageDelayFault,
] as const;

/** The kind names, in catalogue order. */
export const FAULT_KINDS = FAULT_SCHEMAS.map((s) => s.shape.kind.value);

/** One fault: a discriminated union on `kind` (an unknown kind is rejected naming every known one). */
export const FaultSpecSchema = z.discriminatedUnion("kind", FAULT_SCHEMAS);

/** A validated fault. */
export type FaultSpec = z.infer<typeof FaultSpecSchema>;
/** A fault kind name. */
export type FaultKind = FaultSpec["kind"];
/** The fault of one kind. */
export type FaultOf<K extends FaultKind> = Extract<FaultSpec, { kind: K }>;
