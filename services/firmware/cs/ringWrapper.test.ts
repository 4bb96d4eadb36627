import { describe, expect, it } from "vitest";
import { encode } from "./encode.ts";
import { decode } from "./encoding.ts";
import { jobDone, step } from "./interpreter.ts";
import { SparseMemory } from "./memory.ts";
import { MAX_INSTRS_PER_JOB, buildJobWrapper } from "./ringWrapper.ts";
import { runCs, submitToRing, writeStream } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";

const RING = 0x10_0000;
const STREAM = 0x20_0000;
const SYNC = 0x30_0000;
const TIMES = 0x30_0100;

describe("kernel job wrapper (Panthor queue_run_job, cs-isa.md §6.3)", () => {
  it("is the 11-instruction sequence padded with NOPs to 16 words, word for word as Panthor emits it", () => {
    const w = buildJobWrapper({ streamAddr: 0x1_2340_0000, streamSize: 0x80, latestFlush: 0x42, syncAddr: 0x8_0000_0010 });
    expect(w.map((x) => x.toString(16).padStart(16, "0"))).toEqual([
      "025e000000000042", // MOVE32 r94 = latest_flush
      "24005e0000000233", // FLUSH_CACHE2 clean+inv L2/LSC, invalidate other, flush id r94
      "015c000123400000", // MOVE48 d92 = stream_addr
      "025e000000000080", // MOVE32 r94 = stream_size
      "0300000000010000", // WAIT slot 0 (the flush)
      "20005c5e00000000", // CALL d92, r94
      "015c000800000010", // MOVE48 d92 = sync_addr
      "015e000000000001", // MOVE48 d94 = 1
      "0300000000ff0000", // WAIT all 8 slots
      "33005c5e00000001", // SYNC_ADD64.error_propagate [d92] += d94
      "2f00000000000000", // ERROR_BARRIER
      ...Array(5).fill("0000000000000000"),
    ]);
  });

  it("grows to MAX_INSTRS_PER_JOB words with cycle and timestamp profiling, sampling around the CALL", () => {
    const w = buildJobWrapper({ streamAddr: STREAM, streamSize: 8, latestFlush: 0, syncAddr: SYNC, profiling: { slotAddr: TIMES, cycles: true, timestamp: true } });
    expect(w).toHaveLength(MAX_INSTRS_PER_JOB);
    const kinds = w.map((x) => decode(x).kind);
    expect(kinds.slice(0, 19)).toEqual([
      "MOVE32", "FLUSH_CACHE2", "MOVE48", "STORE_STATE", "MOVE48", "STORE_STATE", "MOVE48", "MOVE32", "WAIT", "CALL",
      "MOVE48", "STORE_STATE", "MOVE48", "STORE_STATE", "MOVE48", "MOVE48", "WAIT", "SYNC_ADD64", "ERROR_BARRIER",
    ]);
    expect(buildJobWrapper({ streamAddr: STREAM, streamSize: 8, latestFlush: 0, syncAddr: SYNC, profiling: { slotAddr: TIMES, cycles: true, timestamp: false } })).toHaveLength(16);
  });

  it("emits nothing for a zero-size submission and refuses a misaligned stream", () => {
    expect(buildJobWrapper({ streamAddr: 0, streamSize: 0, latestFlush: 0, syncAddr: SYNC })).toEqual([]);
    expect(() => buildJobWrapper({ streamAddr: STREAM + 8, streamSize: 8, latestFlush: 0, syncAddr: SYNC })).toThrow(/64-byte aligned/);
    expect(() => buildJobWrapper({ streamAddr: STREAM, streamSize: 12, latestFlush: 0, syncAddr: SYNC })).toThrow(/multiple of 8/);
  });

  it("runs a compute job: flush, run, and only after the job is done the queue's seqno becomes 1", () => {
    const mem = new SparseMemory().map(RING, 4096).map(STREAM, 4096).map(SYNC, 4096);
    const size = writeStream(mem, STREAM, [encode.setSbEntry(3, 0), encode.move48(16, 0xabc000), encode.runCompute()]);
    const cs = submitToRing(createCsState({ ring: { base: RING, size: 4096 } }), mem, buildJobWrapper({ streamAddr: STREAM, streamSize: size, latestFlush: 0, syncAddr: SYNC }));
    const a = step(cs, mem, 1000);
    expect(a.effects.map((e) => e.type)).toEqual(["flush", "run", "blocked"]);
    expect(a.effects[0]).toMatchObject({ l2: "CLEAN_AND_INVALIDATE", lsc: "CLEAN_AND_INVALIDATE", other: "INVALIDATE", latestFlushId: 0 });
    expect(a.effects[1]).toMatchObject({ type: "run", sbSlot: 3, job: { kind: "compute", shader: { spd: 0xabc000 } } });
    expect(a.effects[2]).toMatchObject({ block: { kind: "sbWait", mask: 0xff }, blockedReason: 1 });
    // the CS waits in the wrapper's epilogue, inside job 1's ring range
    expect(a.state.ring.extract).toBe(8 * 8);
    expect(mem.peek64(SYNC)).toBe(0n);
    const done = jobDone(a.state, mem, 1);
    const b = step(done.state, mem, 1000);
    expect(b.effects).toContainEqual(expect.objectContaining({ type: "syncSignalled", address: SYNC, seqno: "1", status: 0, scope: "SYSTEM" }));
    expect(b.effects.at(-1)).toMatchObject({ type: "idle", extract: 128 });
    expect(mem.peek64(SYNC)).toBe(1n);
  });

  it("keeps CS_EXTRACT on the job's CALL while the user stream runs, so faults are attributed to that job", () => {
    const mem = new SparseMemory().map(RING, 4096).map(STREAM, 4096).map(SYNC, 4096);
    const size = writeStream(mem, STREAM, [encode.move32(0, 1), encode.move32(1, 2), encode.move32(2, 3)]);
    const cs = submitToRing(createCsState({ ring: { base: RING, size: 4096 } }), mem, buildJobWrapper({ streamAddr: STREAM, streamSize: size, latestFlush: 0, syncAddr: SYNC }));
    const a = step(cs, mem, 7); // up to and including the CALL, plus one user instruction
    expect(a.state.frames).toHaveLength(1);
    expect(a.state.ring.extract).toBe(5 * 8); // the CALL is ring word 5
    const b = runCs(a.state, mem);
    expect(b.state.ring.extract).toBe(128);
    expect(mem.peek64(SYNC)).toBe(1n);
  });

  it("gives successive jobs of a queue seqnos 1, 2, 3 in ring order", () => {
    const mem = new SparseMemory().map(RING, 4096).map(STREAM, 4096).map(SYNC, 4096);
    const size = writeStream(mem, STREAM, [encode.runFragment()]);
    let cs = createCsState({ ring: { base: RING, size: 4096 } });
    for (let i = 0; i < 3; i++) cs = submitToRing(cs, mem, buildJobWrapper({ streamAddr: STREAM, streamSize: size, latestFlush: 0, syncAddr: SYNC }));
    const r = runCs(cs, mem);
    expect(r.effects.filter((e) => e.type === "syncSignalled").map((e) => e.type === "syncSignalled" && e.seqno)).toEqual(["1", "2", "3"]);
    expect(r.effects.filter((e) => e.type === "run")).toHaveLength(3);
  });
});
