import { EXCEPTION } from "../../shared/gpu/exceptions.ts";
import { PAGE_SIZE, PhysicalAddressError } from "../../shared/gpu/physicalMemory.ts";
import type { MmuAccess } from "../mmu/walk.ts";
import type { AsViews } from "./asViews.ts";
import type { CsMemory, MemoryRead, MemoryWrite } from "./cs/memory.ts";
import { overlayBytes, type PendingWrites } from "./pendingWrites.ts";

/** A write the MCU made, at its physical address, waiting to be published as `MemoryWritten`. */
export interface PhysicalWrite {
  readonly pa: number;
  readonly bytes: Uint8Array;
}

/**
 * The memory one MCU activity sees through one address space — a CS running in its group's AS,
 * or the interface code reading the shared region through AS0 — as the interpreter's
 * {@link CsMemory}. Reads come from the RAM replica with the firmware's in-flight writes and
 * this session's own writes laid over; writes are only recorded (physically addressed, split
 * at page boundaries that are not physically contiguous) and become `MemoryWritten` events when
 * the session is committed (`takeWrites`). A page that does not translate, or an address past
 * the end of RAM (GPU_BUS_FAULT), answers with a fault instead of throwing.
 */
export class McuMemory implements CsMemory {
  private readonly writes: PhysicalWrite[] = [];

  constructor(
    private readonly views: AsViews,
    readonly as: number,
    private readonly pending: PendingWrites,
  ) {}

  read(va: number, bytes: number): MemoryRead {
    const out = new Uint8Array(bytes);
    for (let done = 0; done < bytes; ) {
      const at = va + done;
      const n = Math.min(bytes - done, PAGE_SIZE - (at % PAGE_SIZE));
      const t = this.views.translatePage(this.as, at, "read");
      if (!t.ok) return t;
      const pa = t.pa + (at % PAGE_SIZE);
      const chunk = n === bytes ? out : out.subarray(done, done + n);
      try {
        this.views.mem.readInto(pa, chunk);
      } catch (e) {
        if (e instanceof PhysicalAddressError) return busFault(at);
        throw e;
      }
      this.pending.overlay(pa, chunk);
      for (const w of this.writes) overlayBytes(pa, chunk, w.pa, w.bytes);
      done += n;
    }
    return { ok: true, data: out };
  }

  write(va: number, data: Uint8Array): MemoryWrite {
    const pieces = this.resolve(va, data.length, "write");
    if (!pieces.ok) return pieces;
    for (const p of pieces.spans) {
      if (p.pa + p.len > this.views.mem.size) return busFault(va + p.offset);
    }
    for (const p of pieces.spans) this.record(p.pa, data.slice(p.offset, p.offset + p.len));
    return { ok: true };
  }

  /** The recorded writes, physically contiguous neighbours merged, in order; the session forgets them. */
  takeWrites(): PhysicalWrite[] {
    const out = this.writes.splice(0);
    return out;
  }

  /** Whether anything was written in this session. */
  get dirty(): boolean {
    return this.writes.length > 0;
  }

  private record(pa: number, bytes: Uint8Array): void {
    const last = this.writes[this.writes.length - 1];
    if (last !== undefined && last.pa + last.bytes.length === pa) {
      const merged = new Uint8Array(last.bytes.length + bytes.length);
      merged.set(last.bytes);
      merged.set(bytes, last.bytes.length);
      this.writes[this.writes.length - 1] = { pa: last.pa, bytes: merged };
    } else {
      this.writes.push({ pa, bytes });
    }
  }

  private resolve(va: number, len: number, access: MmuAccess) {
    const spans: { pa: number; offset: number; len: number }[] = [];
    for (let done = 0; done < len; ) {
      const at = va + done;
      const n = Math.min(len - done, PAGE_SIZE - (at % PAGE_SIZE));
      const t = this.views.translatePage(this.as, at, access);
      if (!t.ok) return t;
      spans.push({ pa: t.pa + (at % PAGE_SIZE), offset: done, len: n });
      done += n;
    }
    return { ok: true as const, spans };
  }
}

/** An access past the end of RAM: the interconnect answers with a bus fault. */
function busFault(address: number): { ok: false; fault: { exceptionType: number; address: number } } {
  return { ok: false, fault: { exceptionType: EXCEPTION.GPU_BUS_FAULT, address } };
}
