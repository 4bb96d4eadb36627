import type { ActorContext } from "../../shared/actor/actor.ts";
import type { EventDef, PayloadOf } from "../../shared/events/registry.ts";
import { MemoryWritten } from "../memory/memoryEvents.ts";
import { memoryPaths } from "../memory/memoryReplica.ts";
import { encodeWrite } from "../memory/memoryWrites.ts";
import { IrqRaised } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import type { AsViews } from "./asViews.ts";
import type { FirmwareConfig } from "./firmwareConfig.ts";
import { firmwarePaths } from "./firmwarePaths.ts";
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
  private irqBits = 0;
  private depth = 0;
  /** The bytes last written to each firmware-owned block, by MCU VA (base64). */
  private readonly blocks = new Map<number, string>();

  constructor(
    readonly ctx: ActorContext,
    readonly config: FirmwareConfig,
    readonly views: AsViews,
    readonly pending: PendingWrites,
  ) {
    this.paths = firmwarePaths(config.gpu);
    this.regs = regsPaths(config.gpu);
    this.memPath = memoryPaths(config.gpu).write;
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
    const r = this.session(MCU_AS).read(va, len);
    return r.ok ? r.data : undefined;
  }

  /**
   * Write a firmware-owned block (an output block, a ring's output page) at MCU VA `va` unless
   * it already holds these bytes: only changes become `MemoryWritten` events.
   */
  writeBlock(va: number, bytes: Uint8Array): void {
    const key = Buffer.from(bytes).toString("base64");
    if (this.blocks.get(va) === key) return;
    if (this.writeMcu(va, bytes)) this.blocks.set(va, key);
  }

  /** A cold boot zeroed the blocks at these VAs (or forgets every block when called without any). */
  blocksZeroed(blocks: readonly { readonly va: number; readonly size: number }[]): void {
    this.blocks.clear();
    for (const b of blocks) this.blocks.set(b.va, Buffer.from(new Uint8Array(b.size)).toString("base64"));
  }

  /** Write bytes at MCU VA `va` (AS0) now; false when it does not translate. */
  writeMcu(va: number, bytes: Uint8Array): boolean {
    const s = this.session(MCU_AS);
    const r = s.write(va, bytes);
    if (r.ok) this.commit(s);
    return r.ok;
  }
}
