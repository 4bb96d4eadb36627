import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";
import { defineStruct } from "../../../shared/gpu/structLayout.ts";
import { decodeWrite } from "../../memory/memoryWrites.ts";
import type { MemoryWrite } from "../../memory/memoryWrites.ts";
import type { KOp, KTask } from "../ktask.ts";
import type { DriverState } from "./driverState.ts";
import type { KernelBo } from "./kernelBo.ts";
import { KernelMap } from "./kernelMap.ts";

const BLOCK = defineStruct("test_block", [
  { name: "req", type: "u32" },
  { name: "config", type: "u32" },
  { name: "addr", type: "u64" },
  { name: "ack", type: "u32" },
] as const);

/** A one-page kernel BO at MCU VA 0x1000 on frame 3, over a fresh RAM. */
function mapped(): { map: KernelMap; ram: PhysicalMemory } {
  const ram = new PhysicalMemory(16 * 4096);
  const d = { ram, dev: { gpu: 0 } } as unknown as DriverState;
  const bo = { obj: 1, va: 0x1000, size: 4096, frames: [3], tracked: false } as unknown as KernelBo;
  return { map: new KernelMap(d, bo), ram };
}

/** Run a task that only publishes; the `MemoryWritten` payloads it published. */
function stores(task: KTask<void>): MemoryWrite[] {
  const out: MemoryWrite[] = [];
  for (let step = task.next(); step.done !== true; step = task.next()) {
    const op: KOp = step.value;
    if (op.op !== "publish") throw new Error(`unexpected ${op.op}`);
    out.push(op.payload as MemoryWrite);
  }
  return out;
}

describe("kernel BO CPU mapping (bo->kmap)", () => {
  it("stores the span from the first to the last field named, whatever order they are named in, as one write", () => {
    const { map } = mapped();
    const writes = stores(map.write(0x1000, BLOCK, { addr: 2 ** 40 + 5, req: 0x8000_0001 }));
    expect(writes).toHaveLength(1);
    const { pa, bytes } = decodeWrite(writes[0]!);
    expect(pa).toBe(3 * 4096);
    expect([...bytes]).toEqual([0x01, 0, 0, 0x80, 0, 0, 0, 0, 5, 0, 0, 0, 0, 1, 0, 0]);
    expect(stores(map.write(0x1000, BLOCK, {}))).toEqual([]);
  });

  it("reads its own stores back before RAM sees them, and RAM where it never wrote", () => {
    const { map, ram } = mapped();
    stores(map.write(0x1000, BLOCK, { req: 0xffff_fffe, addr: 2 ** 40 + 5 }));
    ram.write(3 * 4096 + 16, new Uint8Array([0x78, 0x56, 0x34, 0x12]));
    expect(map.field(0x1000, BLOCK, "req")).toBe(0xffff_fffe);
    expect(map.field(0x1000, BLOCK, "addr")).toBe(2 ** 40 + 5);
    expect(map.field(0x1000, BLOCK, "ack")).toBe(0x1234_5678);
    map.forget(0x1000, 4);
    expect(map.read32(0x1000)).toBe(0);
  });
});
