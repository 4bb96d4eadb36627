import { describe, expect, it } from "vitest";
import { FrameStateError, OutOfFramesError, PAGE_SIZE, PhysicalAddressError, PhysicalMemory } from "./physicalMemory.ts";

const MiB = 1 << 20;

describe("PhysicalMemory", () => {
  it("reads zeros from memory nobody has written, without materialising pages", () => {
    const mem = new PhysicalMemory(4 * MiB);
    expect(mem.read(0x1234, 16)).toEqual(new Uint8Array(16));
    expect(mem.readU64(0x3ff8)).toBe(0n);
    expect(mem.touchedFrames).toBe(0);
  });

  it("writes and reads back bytes that span a page boundary", () => {
    // given bytes straddling the 4 KiB boundary between frames 0 and 1
    const mem = new PhysicalMemory(4 * MiB);
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    // when written at 0xffb
    mem.write(PAGE_SIZE - 5, bytes);
    // then both frames hold their part and a read across the boundary sees them all
    expect(mem.read(PAGE_SIZE - 5, 10)).toEqual(bytes);
    expect(mem.read(PAGE_SIZE, 5)).toEqual(Uint8Array.of(6, 7, 8, 9, 10));
    expect(mem.touchedFrames).toBe(2);
  });

  it("stores u32 and u64 little-endian, including a u64 split across pages", () => {
    const mem = new PhysicalMemory(1 * MiB);
    mem.writeU32(0x100, 0xdeadbeef);
    expect(mem.read(0x100, 4)).toEqual(Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
    expect(mem.readU32(0x100)).toBe(0xdeadbeef);
    mem.writeU64(PAGE_SIZE - 4, 0x0123_4567_89ab_cdefn);
    expect(mem.readU64(PAGE_SIZE - 4)).toBe(0x0123_4567_89ab_cdefn);
    expect(mem.readU32(PAGE_SIZE)).toBe(0x0123_4567);
    mem.writeU64(0x200, 0xffff_ffff_ffff_ffffn);
    expect(mem.readU64(0x200)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it("throws a PhysicalAddressError naming the address and length for out-of-range access", () => {
    const mem = new PhysicalMemory(1 * MiB);
    expect(() => mem.read(MiB - 4, 8)).toThrow(PhysicalAddressError);
    try {
      mem.writeU64(MiB, 1n);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PhysicalAddressError);
      expect(e).toMatchObject({ name: "PhysicalAddressError", pa: MiB, len: 8, ramSize: MiB });
    }
    expect(() => mem.read(-1, 1)).toThrow(PhysicalAddressError);
  });

  it("allocates the lowest free frames first and reuses freed frames deterministically", () => {
    const mem = new PhysicalMemory(64 * PAGE_SIZE);
    expect(mem.allocFrames(3)).toEqual([0, 1, 2]);
    expect(mem.allocFrames(2)).toEqual([3, 4]);
    mem.freeFrames([1, 3]);
    expect(mem.usedFrames).toBe(3);
    expect(mem.allocFrames(3)).toEqual([1, 3, 5]);
    expect(mem.totalFrames).toBe(64);
    expect(mem.usedFrames).toBe(6);
  });

  it("gives the same frames for the same sequence of calls", () => {
    const run = (): number[][] => {
      const mem = new PhysicalMemory(128 * PAGE_SIZE);
      const a = mem.allocFrames(5);
      mem.freeFrames([a[1]!, a[3]!]);
      return [a, mem.allocFrames(4), mem.allocFrames(8, { contiguous: true, alignFrames: 8 })];
    };
    expect(run()).toEqual(run());
    expect(run()[2]).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it("hands out zeroed frames but keeps a freed frame's bytes until it is reallocated", () => {
    const mem = new PhysicalMemory(16 * PAGE_SIZE);
    const [f] = mem.allocFrames(1);
    mem.writeU32(f! * PAGE_SIZE, 0x55aa);
    mem.freeFrames([f!]);
    expect(mem.readU32(f! * PAGE_SIZE)).toBe(0x55aa); // a stale GPU mapping would still see this
    expect(mem.allocFrames(1)).toEqual([f]);
    expect(mem.readU32(f! * PAGE_SIZE)).toBe(0);
  });

  it("finds an aligned contiguous run for block mappings", () => {
    const mem = new PhysicalMemory(2048 * PAGE_SIZE);
    mem.allocFrames(1);
    expect(mem.allocFrames(512, { contiguous: true, alignFrames: 512 })[0]).toBe(512);
    expect(mem.allocFrames(1)).toEqual([1]);
  });

  it("throws OutOfFramesError when the request cannot be met, leaving state unchanged", () => {
    const mem = new PhysicalMemory(4 * PAGE_SIZE);
    mem.allocFrames(1);
    expect(() => mem.allocFrames(4)).toThrow(OutOfFramesError);
    expect(() => mem.allocFrames(3, { contiguous: true, alignFrames: 2 })).toThrow(OutOfFramesError);
    expect(mem.usedFrames).toBe(1);
    expect(mem.allocFrames(3)).toEqual([1, 2, 3]);
  });

  it("rejects a double free and a frame outside RAM", () => {
    const mem = new PhysicalMemory(4 * PAGE_SIZE);
    mem.allocFrames(1);
    mem.freeFrames([0]);
    expect(() => mem.freeFrames([0])).toThrow(FrameStateError);
    expect(() => mem.freeFrames([4])).toThrow(/out-of-range/);
    mem.allocFrames(1);
    expect(() => mem.freeFrames([0, 0])).toThrow(FrameStateError);
    expect(mem.usedFrames).toBe(1);
  });

  it("shrinks only over free frames and drops their bytes", () => {
    const mem = new PhysicalMemory(8 * PAGE_SIZE);
    mem.allocFrames(2);
    mem.writeU32(6 * PAGE_SIZE, 1);
    mem.shrink(4 * PAGE_SIZE);
    expect(mem.totalFrames).toBe(4);
    expect(mem.touchedFrames).toBe(0);
    expect(() => mem.shrink(PAGE_SIZE)).toThrow(FrameStateError);
    expect(() => mem.read(4 * PAGE_SIZE, 1)).toThrow(PhysicalAddressError);
  });

  it("refuses a size that is not a whole number of pages", () => {
    expect(() => new PhysicalMemory(PAGE_SIZE + 1)).toThrow(RangeError);
  });
});

describe("reading into a caller's buffer", () => {
  it("copies what read() returns, across frames, zero for untouched frames, overwriting stale bytes", () => {
    const ram = new PhysicalMemory(4 * PAGE_SIZE);
    ram.write(PAGE_SIZE - 3, Uint8Array.of(1, 2, 3, 4, 5));
    const out = new Uint8Array(8).fill(0xee);
    ram.readInto(PAGE_SIZE - 3, out);
    expect(out).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 0, 0, 0));
    expect(out).toEqual(ram.read(PAGE_SIZE - 3, 8));
    const far = new Uint8Array(64).fill(0xee);
    ram.readInto(3 * PAGE_SIZE, far);
    expect(far).toEqual(new Uint8Array(64));
    expect(() => ram.readInto(4 * PAGE_SIZE - 4, new Uint8Array(8))).toThrow(PhysicalAddressError);
  });
});
