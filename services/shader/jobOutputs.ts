import { encodeWrite, decodeBytes, type MemoryWrite } from "../memory/memoryWrites.ts";
import { physicalSpans, type Segment } from "../mmu/translateRanges.ts";

/** A job's output write, as `JobDispatched.writes` carries it. */
export interface JobWrite {
  readonly va: number;
  readonly data: string;
}

/**
 * The `MemoryWritten` payloads of a job's output writes at the physical addresses its
 * translation gave: one per physically contiguous piece, so a write that crosses into a page
 * mapped elsewhere is split. Throws if a byte is not covered — the shader actor translates every
 * write as a write range, so that would be a simulator bug.
 */
export function jobOutputWrites(job: string, writes: readonly JobWrite[], segments: readonly Segment[]): MemoryWrite[] {
  const out: MemoryWrite[] = [];
  for (const w of writes) {
    const bytes = decodeBytes(w.data);
    const spans = physicalSpans(segments, w.va, bytes.length);
    if (spans === undefined) throw new Error(`job ${job}: output write at VA 0x${w.va.toString(16)} was not translated`);
    for (const s of spans) out.push(encodeWrite("shader", s.pa, bytes.subarray(s.offset, s.offset + s.len), job));
  }
  return out;
}
