import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

/**
 * The agents that write system RAM the GPU can see: the CPU (the driver's page-table updates,
 * user-space mmap writes), the MCU (sync-object stores, interface pages) and the shader cores (a
 * job's output). The MMU's walks only read.
 */
export const MemoryAgentSchema = z.enum(["cpu", "mcu", "shader"]);
/** A writing agent. */
export type MemoryAgent = z.infer<typeof MemoryAgentSchema>;

/** A physical address: byte address in system RAM, a JSON number (< 2^53; Mali-G610 PAs have 40 bits). */
export const PhysicalAddressSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Standard base64 (RFC 4648, with padding), as `Buffer.toString("base64")` writes it. */
export const Base64Schema = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "base64");

/**
 * An agent wrote bytes into system RAM. Every process's memory replica applies it when the event
 * is delivered, so replay and the multi-process runtime see the same bytes. One event per write
 * operation a driver engineer would name (a page-table page, a job's output buffer, a seqno
 * store), never one per word.
 */
export const MemoryWritten = defineEvent(
  "MemoryWritten",
  z.object({
    agent: MemoryAgentSchema,
    pa: PhysicalAddressSchema,
    /** The bytes, base64. */
    data: Base64Schema,
    /** The job whose output this is (shader writes). */
    job: z.string().min(1).optional(),
  }),
  "An agent (cpu, mcu, shader) wrote bytes at a physical address; applied by every memory replica.",
);

/** A write fell outside system RAM (the bus would answer with an error; nothing is written). */
export const MemoryWriteFailed = defineEvent(
  "MemoryWriteFailed",
  z.object({
    agent: MemoryAgentSchema,
    pa: PhysicalAddressSchema,
    len: z.number().int().nonnegative(),
    reason: z.string(),
  }),
  "A MemoryWritten fell outside system RAM; no byte was written.",
);

/**
 * System memory available to the GPU's driver shrank (an injected `memory-pressure` fault: another
 * tenant of the SoC took RAM). The replica's bytes are untouched; the driver must honour it by
 * lowering its GEM system-memory limit to at most `availableBytes` less what it does not hand to
 * GEM, and reclaiming (its shrinker) what is over the limit.
 */
export const MemoryPressureApplied = defineEvent(
  "MemoryPressureApplied",
  z.object({
    /** Bytes taken by this event. */
    bytes: z.number().int().positive(),
    /** Bytes taken so far, this event included. */
    takenBytes: z.number().int().positive(),
    /** System RAM left to the GPU and its driver. */
    availableBytes: z.number().int().nonnegative(),
  }),
  "System memory available to the GPU shrank by `bytes`; the driver's GEM limit and shrinker must follow.",
);

/** Every memory event type. */
export const memoryEvents = [MemoryWritten, MemoryWriteFailed, MemoryPressureApplied] as const;
