import type { ActorContext } from "../../shared/actor/actor.ts";
import type { EventDef, PayloadOf } from "../../shared/events/registry.ts";
import { MemoryWritten } from "../memory/memoryEvents.ts";
import { memoryPaths } from "../memory/memoryReplica.ts";
import { encodeWrite } from "../memory/memoryWrites.ts";
import { IrqRaised } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import type { FieldSpec, StructLayout, StructOf } from "../../shared/gpu/structLayout.ts";
import type { AsViews } from "./asViews.ts";
import type { FirmwareConfig } from "./firmwareConfig.ts";
import { firmwarePaths } from "./firmwarePaths.ts";
import { decodeLenient } from "./interfaceIo.ts";
import { McuMemory } from "./mcuMemory.ts";
import type { PendingWrites } from "./pendingWrites.ts";

/** The MCU's own address space: the firmware image and the shared interface region live in AS0. */
export const MCU_AS = 0;

/**
 * What every part of the firmware actor shares: the actor context, the model's numbers, the
 * address-space views, the in-flight writes, and the three ways the MCU acts on the rest of the
 * GPU — memory writes, interrupt bits and its own facts.
 *
 * JOB_INT bits raised during one reaction (a doorbell pass, a slice of CS execution) are
 * gathered and published as one `IrqRaised` when the reaction ends ({@link batch}), the way the
 * firmware sets several bits before the host's handler reads JOB_INT_STAT.
 */
export class FwRuntime {
  readonly paths: ReturnType<typeof firmwarePaths>;
  readonly regs: ReturnType<typeof regsPaths>;
  private readonly memPath: string;
  /** An AS0 session that only ever reads (so it records no writes): one for every {@link readMcu}. */
  private readonly reader: McuMemory;
  private irqBits = 0;
  private depth = 0;
  /** The bytes last written to each firmware-owned block, by MCU VA (a private copy). */
  private readonly blocks = new Map<number, Uint8Array>();
  /** The last bytes read from each host-written block and their decoding, by MCU VA ({@link readInput}). */
  private readonly inputs = new Map<number, { readonly layout: object; readonly bytes: Uint8Array; readonly value: unknown }>();

  constructor(
    readonly ctx: ActorContext,
    readonly config: FirmwareConfig,
    readonly views: AsViews,
    readonly pending: PendingWrites,
  ) {
    this.paths = firmwarePaths(config.gpu);
    this.regs = regsPaths(config.gpu);
    this.memPath = memoryPaths(config.gpu).write;
    this.reader = new McuMemory(views, MCU_AS, pending);
  }

  /** Publish one of the firmware's facts. */
  fact<D extends EventDef>(def: D, path: string, payload: PayloadOf<D>): void {
    this.ctx.publish(def, path, payload);
  }

  /** Set JOB_INT raw bits at the end of the current reaction. */
  raiseIrq(bits: number): void {
    this.irqBits = (this.irqBits | bits) >>> 0;
  }

  /** Run one reaction; the outermost call publishes the JOB_INT bits it raised. */
  batch<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      if (--this.depth === 0 && this.irqBits !== 0) {
        const bits = this.irqBits;
        this.irqBits = 0;
        this.ctx.publish(IrqRaised, this.regs.raise, { line: "job", bits });
      }
    }
  }

  /** A memory session through address space `as` (see {@link McuMemory}). */
  session(as: number): McuMemory {
    return new McuMemory(this.views, as, this.pending);
  }

  /** Publish a session's writes as `MemoryWritten` (agent `mcu`), remembered until delivered. */
  commit(session: McuMemory): void {
    for (const w of session.takeWrites()) {
      const id = this.ctx.publish(MemoryWritten, this.memPath, encodeWrite("mcu", w.pa, w.bytes));
      this.pending.add(id, w.pa, w.bytes);
    }
  }

  /** Read `len` bytes at MCU VA `va` (AS0); undefined when it does not translate. */
  readMcu(va: number, len: number): Uint8Array | undefined {
    const r = this.reader.read(va, len);
    return r.ok ? r.data : undefined;
  }

  /**
   * Read and decode (leniently, `decodeLenient`) a block the host writes — an interface input
   * block, a queue's user input page — at MCU VA `va` (AS0); undefined when it does not
   * translate. The block is re-read every time, but decoded only when its bytes differ from the
   * last read at `va`: the firmware scans the same unchanged input blocks on every doorbell. The
   * value returned may be shared with earlier calls and must not be mutated.
   */
  readInput<L extends readonly FieldSpec[]>(va: number, layout: StructLayout<L>): StructOf<L> | undefined {
    const bytes = this.readMcu(va, layout.size);
    if (bytes === undefined) return undefined;
    const last = this.inputs.get(va);
    if (last !== undefined && last.layout === layout && sameBytes(last.bytes, bytes)) return last.value as StructOf<L>;
    const value = decodeLenient(layout, bytes);
    this.inputs.set(va, { layout, bytes, value });
    return value;
  }

  /**
   * Write a firmware-owned block (an output block, a ring's output page) at MCU VA `va` unless
   * it already holds these bytes: only changes become `MemoryWritten` events.
   */
  writeBlock(va: number, bytes: Uint8Array): void {
    const last = this.blocks.get(va);
    if (last !== undefined && sameBytes(last, bytes)) return;
    if (this.writeMcu(va, bytes)) this.blocks.set(va, bytes.slice());
  }

  /** A cold boot zeroed the blocks at these VAs (or forgets every block when called without any). */
  blocksZeroed(blocks: readonly { readonly va: number; readonly size: number }[]): void {
    this.blocks.clear();
    for (const b of blocks) this.blocks.set(b.va, new Uint8Array(b.size));
  }

  /** Write bytes at MCU VA `va` (AS0) now; false when it does not translate. */
  writeMcu(va: number, bytes: Uint8Array): boolean {
    const s = this.session(MCU_AS);
    const r = s.write(va, bytes);
    if (r.ok) this.commit(s);
    return r.ok;
  }
}

/** Whether two byte strings are equal (the blocks are at most a few hundred bytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
