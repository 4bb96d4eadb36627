import { describe, expect, it } from "vitest";
import { EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { memoryEvents, MemoryWritten } from "./memoryEvents.ts";
import { memoryPaths, memoryReplicaActor } from "./memoryReplica.ts";
import { decodeWrite, encodeWrite, pageWrites } from "./memoryWrites.ts";

function harness() {
  const registry = new EventRegistry().register(...systemEvents, ...memoryEvents);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "t", seed: 1, registry, sink });
  const mem = new PhysicalMemory(16 * PAGE_SIZE);
  sim.addActor(memoryReplicaActor(0, mem));
  return { sim, sink, mem };
}

describe("memory replica", () => {
  it("applies a write when it is delivered, spanning page frames", () => {
    // given an empty RAM
    const h = harness();
    // when the CPU writes 8 bytes across the boundary of frames 1 and 2 at 5 µs
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    h.sim.input("scenario", MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", 2 * PAGE_SIZE - 4, bytes), 5_000);
    h.sim.run({ untilNs: 4_000 });
    // then nothing is there before delivery
    expect(h.mem.read(2 * PAGE_SIZE - 4, 8)).toEqual(new Uint8Array(8));
    h.sim.run();
    // and the bytes are there after it
    expect(h.mem.read(2 * PAGE_SIZE - 4, 8)).toEqual(bytes);
  });

  it("reports a write outside RAM and writes nothing", () => {
    const h = harness();
    h.sim.input("scenario", MemoryWritten, memoryPaths(0).write, encodeWrite("shader", 16 * PAGE_SIZE - 2, new Uint8Array(4)), 0);
    h.sim.run();
    const failed = h.sink.events.filter((e) => e.type === "MemoryWriteFailed");
    expect(failed.map((e) => e.payload)).toMatchObject([{ agent: "shader", pa: 16 * PAGE_SIZE - 2, len: 4 }]);
    expect(h.mem.touchedFrames).toBe(0);
  });

  it("round-trips bytes through base64 and copies whole pages out of a scratch view", () => {
    const scratch = new PhysicalMemory(4 * PAGE_SIZE);
    scratch.writeU32(PAGE_SIZE + 8, 0xdeadbeef);
    const writes = pageWrites("cpu", scratch, [PAGE_SIZE + 8, PAGE_SIZE + 16]);
    expect(writes).toHaveLength(1);
    const { pa, bytes } = decodeWrite(writes[0]!);
    expect(pa).toBe(PAGE_SIZE);
    expect(bytes.length).toBe(PAGE_SIZE);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(0xdeadbeef);
    expect(MemoryWritten.payload.safeParse(writes[0]).success).toBe(true);
  });
});
