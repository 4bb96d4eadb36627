import { PAGE_SIZE, type PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import type { PayloadOf } from "../../shared/events/registry.ts";
import type { MemoryAgent, MemoryWritten } from "./memoryEvents.ts";

/** The payload of a `MemoryWritten` event. */
export type MemoryWrite = PayloadOf<typeof MemoryWritten>;

/** Bytes as base64 for an event payload. */
export function encodeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Bytes of a base64 payload field. */
export function decodeBytes(data: string): Uint8Array {
  return new Uint8Array(Buffer.from(data, "base64"));
}

/**
 * Bytes of a base64 payload field as a short-lived view: a Buffer that may sit in Node's shared
 * allocation pool, so it must be copied at once and never kept or written. Saves
 * {@link decodeBytes}' second copy for a caller that copies anyway (the memory replica's
 * `mem.write`, once per `MemoryWritten`, the most frequent event).
 */
export function decodeBytesTransient(data: string): Uint8Array {
  return Buffer.from(data, "base64");
}

/**
 * The payload of a write of `bytes` at `pa` by `agent`.
 *
 * @example encodeWrite("cpu", 0x1000, new Uint8Array([1, 2, 3])) // { agent: "cpu", pa: 4096, data: "AQID" }
 */
export function encodeWrite(agent: MemoryAgent, pa: number, bytes: Uint8Array, job?: string): MemoryWrite {
  return job === undefined ? { agent, pa, data: encodeBytes(bytes) } : { agent, pa, data: encodeBytes(bytes), job };
}

/** The address and bytes of a `MemoryWritten` payload. */
export function decodeWrite(w: MemoryWrite): { pa: number; bytes: Uint8Array } {
  return { pa: w.pa, bytes: decodeBytes(w.data) };
}

/**
 * Whole-page writes copying the frames at `pas` out of `mem`: how a CPU-side agent that built
 * data in its own view of RAM (the driver's page tables, made with the io-pgtable functions)
 * publishes it. Addresses are rounded down to their page; the result is sorted by address.
 */
export function pageWrites(agent: MemoryAgent, mem: PhysicalMemory, pas: Iterable<number>): MemoryWrite[] {
  const pages = [...new Set([...pas].map((pa) => pa - (pa % PAGE_SIZE)))].sort((a, b) => a - b);
  return pages.map((pa) => encodeWrite(agent, pa, mem.read(pa, PAGE_SIZE)));
}
