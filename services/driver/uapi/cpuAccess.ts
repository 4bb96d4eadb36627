/**
 * CPU access to BOs through mmap (`drm_gem_mmap` → `drm_gem_shmem_mmap`, panthor.md §7.1).
 *
 * mmap(2) finds the object by its fake offset (-EINVAL if none, or if the length is 0 or exceeds
 * the object), refuses a file that holds no handle to it (`drm_vma_node_is_allowed`: -EACCES),
 * and populates and pins the pages for the mapping's lifetime. Loads and stores through the
 * mapping are events too: a store becomes `MemoryWritten` (agent `cpu`) at the pages' physical
 * addresses, one event per physically contiguous run, so the log carries the bytes; a load reads
 * the RAM replica. An access outside a live mapping answers -EFAULT — the SIGSEGV/SIGBUS the
 * process would take.
 *
 * Simplified: a mapping starts at the object's offset (no partial mappings at an inner page
 * offset); mappings are per file and die with it (a process would keep them past close(2));
 * every mapping is coherent (no write-combine buffers or CPU caches).
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import { pagesOf, type GemObject } from "../../gem/index.ts";
import { MemoryWritten } from "../../memory/memoryEvents.ts";
import { memoryPaths } from "../../memory/memoryReplica.ts";
import { decodeBytes, encodeBytes, encodeWrite } from "../../memory/memoryWrites.ts";
import { emit, type KTask } from "../ktask.ts";
import type { CpuMapping, DriverState, DrmFileState } from "./driverState.ts";
import { gemRun } from "./gemShell.ts";

/** The answer to a CPU-side request: 0 or -errno, and a read's bytes. */
export interface CpuAccessResult {
  readonly ret: number;
  readonly data?: string;
}

const err = (name: keyof typeof ERRNO): CpuAccessResult => ({ ret: -ERRNO[name] });

function objectAtOffset(d: DriverState, offset: number): GemObject | undefined {
  for (const o of d.gem.objects.values()) if (o.mmapOffset === offset) return o;
  return undefined;
}

function fileHasHandle(d: DriverState, file: number, obj: number): boolean {
  for (const o of d.gem.files.get(file)?.values() ?? []) if (o === obj) return true;
  return false;
}

/** mmap(2) of `length` bytes at the fake `offset`. */
export function* boMmap(d: DriverState, f: DrmFileState, offset: number, length: number): KTask<CpuAccessResult> {
  const o = objectAtOffset(d, offset);
  if (o === undefined || length === 0 || Math.ceil(length / PAGE_SIZE) * PAGE_SIZE > o.size) return err("EINVAL");
  if (!fileHasHandle(d, f.id, o.obj)) return err("EACCES");
  const g = yield* gemRun(d, { type: "pin", obj: o.obj });
  if (!g.ok) return { ret: g.ret };
  const m = f.mappings.get(offset);
  if (m === undefined) f.mappings.set(offset, { obj: o.obj, length: Math.ceil(length / PAGE_SIZE) * PAGE_SIZE, count: 1 });
  else m.count++;
  return { ret: 0 };
}

/** munmap(2): the pin of one mmap is dropped; -EINVAL when nothing is mapped there. */
export function* boMunmap(d: DriverState, f: DrmFileState, offset: number): KTask<CpuAccessResult> {
  const m = f.mappings.get(offset);
  if (m === undefined) return err("EINVAL");
  if (--m.count === 0) f.mappings.delete(offset);
  yield* gemRun(d, { type: "unpin", obj: m.obj });
  return { ret: 0 };
}

/** Drop every mapping of a closing file. */
export function* dropMappings(d: DriverState, f: DrmFileState): KTask<void> {
  const all = [...f.mappings.values()];
  f.mappings.clear();
  for (const m of all) for (let i = 0; i < m.count; i++) yield* gemRun(d, { type: "unpin", obj: m.obj });
}

/** Physically contiguous runs of `[offset, offset + len)` of a mapped object: (pa, start in the range, bytes). */
function runs(d: DriverState, m: CpuMapping, offset: number, len: number): { pa: number; at: number; n: number }[] {
  const frames = pagesOf(d.gem, m.obj)!;
  const out: { pa: number; at: number; n: number }[] = [];
  for (let done = 0; done < len; ) {
    const off = offset + done;
    const n = Math.min(len - done, PAGE_SIZE - (off % PAGE_SIZE));
    const pa = frames[Math.floor(off / PAGE_SIZE)]! * PAGE_SIZE + (off % PAGE_SIZE);
    const last = out[out.length - 1];
    if (last !== undefined && last.pa + last.n === pa) last.n += n;
    else out.push({ pa, at: done, n });
    done += n;
  }
  return out;
}

function mapped(f: DrmFileState, mmapOffset: number, offset: number, len: number): CpuMapping | undefined {
  const m = f.mappings.get(mmapOffset);
  return m !== undefined && offset + len <= m.length ? m : undefined;
}

/** A store of `data` (base64) at `offset` into the mapping at `mmapOffset`. */
export function* boCpuWrite(d: DriverState, f: DrmFileState, mmapOffset: number, offset: number, data: string): KTask<CpuAccessResult> {
  const bytes = decodeBytes(data);
  const m = mapped(f, mmapOffset, offset, bytes.length);
  if (m === undefined) return err("EFAULT");
  for (const r of runs(d, m, offset, bytes.length)) {
    yield* emit(MemoryWritten, memoryPaths(d.dev.gpu).write, encodeWrite("cpu", r.pa, bytes.subarray(r.at, r.at + r.n)));
  }
  return { ret: 0 };
}

/** A load of `length` bytes at `offset` from the mapping at `mmapOffset`, from the RAM replica. */
export function boCpuRead(d: DriverState, f: DrmFileState, mmapOffset: number, offset: number, length: number): CpuAccessResult {
  const m = mapped(f, mmapOffset, offset, length);
  if (m === undefined) return err("EFAULT");
  const out = new Uint8Array(length);
  for (const r of runs(d, m, offset, length)) out.set(d.ram.read(r.pa, r.n), r.at);
  return { ret: 0, data: encodeBytes(out) };
}
