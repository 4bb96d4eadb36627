import { encode, wordsToBytes } from "../../services/firmware/index.ts";
import type { DrmFile, OpenOptions } from "../../services/workload/drmClient.ts";
import { bindArgs, groupArgs, mapOp, queueCreate, queueSubmit, submitArgs, SYNC, type DrmTestDevice } from "./drmDevice.ts";

/** A client with one VM. */
export interface Client {
  readonly f: DrmFile;
  readonly vm: number;
}

/** Open a client and create its VM. */
export function openClient(dev: DrmTestDevice, name: string, opts: OpenOptions = {}): Client {
  const f = dev.open(name, opts);
  const r = f.ioctl("VM_CREATE");
  if (r.ret !== 0) throw new Error(`VM_CREATE failed: ${r.ret}`);
  return { f, vm: r.out.id as number };
}

/** A BO of `size` bytes mapped at `va` in the client's VM; its handle. */
export function mapBo(c: Client, va: number, size = 4096): number {
  const h = c.f.ioctl("BO_CREATE", { size }).out.handle as number;
  const r = c.f.ioctl("VM_BIND", bindArgs(c.vm, [mapOp(h, va, size)]));
  if (r.ret !== 0) throw new Error(`VM_BIND failed: ${r.ret}`);
  return h;
}

/** A stream BO at `va` holding `words` (written through the CPU mapping); its byte size. */
export function streamAt(c: Client, va: number, words: readonly bigint[]): number {
  const h = mapBo(c, va, Math.max(4096, Math.ceil((words.length * 8) / 4096) * 4096));
  c.f.mmap(h).write(0, wordsToBytes(words));
  return words.length * 8;
}

/** A stream that stores the 32-bit `value` at `va`. */
export const storeWords = (va: number, value: number): bigint[] => [encode.move32(0, value), encode.move48(2, va), encode.storeMultiple(0, 2, 0b1)];

/** A counted loop of `n` iterations (≈ 3 instructions × 20 ns each), then stores `value` at `va`. */
export const loopWords = (n: number, va: number, value: number): bigint[] => [
  encode.move32(4, n), encode.addImmediate32(4, 4, -1), encode.branch("NEQUAL", 4, -2), ...storeWords(va, value),
];

/** GROUP_CREATE with `queues` queues of 4 KiB rings; the handle. */
export function createGroup(c: Client, more: Record<string, unknown> = {}, queues = 1, model?: Parameters<typeof groupArgs>[3]): number {
  const r = c.f.ioctl("GROUP_CREATE", groupArgs(c.vm, Array.from({ length: queues }, () => queueCreate()), more, model));
  if (r.ret !== 0) throw new Error(`GROUP_CREATE failed: ${r.ret}`);
  return r.out.group_handle as number;
}

/** GROUP_SUBMIT of one job to `queue`, waiting on `waits` and signalling a new syncobj; the syncobj. */
export function submitJob(c: Client, group: number, queue: number, va: number, size: number, waits: readonly number[] = []): number {
  const out = c.f.syncobjCreate();
  const syncs = [...waits.map((h) => ({ flags: SYNC.WAIT, handle: h })), { flags: SYNC.SIGNAL, handle: out }];
  const r = c.f.ioctl("GROUP_SUBMIT", submitArgs(group, [queueSubmit(queue, va, size, syncs)]));
  if (r.ret !== 0) throw new Error(`GROUP_SUBMIT failed: ${r.ret}`);
  return out;
}

/** A u32 from a BO through a fresh CPU mapping. */
export function readU32(c: Client, handle: number, offset = 0): number {
  const b = c.f.mmap(handle).read(offset, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}
