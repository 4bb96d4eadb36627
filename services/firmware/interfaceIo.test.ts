import { describe, expect, it } from "vitest";
import { encodeStruct } from "../../shared/gpu/structLayout.ts";
import { enumName, CS_SYNC_SCOPE } from "./cs/opcodes.ts";
import { firmwarePaths } from "./firmwarePaths.ts";
import { decodeLenient, encodeCsOutput, encodeRingOutput } from "./interfaceIo.ts";
import { CS_INPUT, CS_OUTPUT, RINGBUF_INPUT } from "./interfaces.ts";

describe("lenient decoding of host-written blocks", () => {
  it("reads a short block as zero-padded and keeps the low 53 bits of a u64", () => {
    const bytes = new Uint8Array(12).fill(0xff);
    expect(decodeLenient(RINGBUF_INPUT, bytes)).toEqual({ insert: Number.MAX_SAFE_INTEGER, extract: 0xffff_ffff });
  });

  it("reads the bytes in place from a view into a larger buffer", () => {
    const backing = new Uint8Array(8 + CS_INPUT.size);
    new DataView(backing.buffer).setUint32(8 + CS_INPUT.offsets.ringbuf_size, 0x1000, true);
    expect(decodeLenient(CS_INPUT, backing.subarray(8)).ringbuf_size).toBe(0x1000);
  });
});

describe("firmware output blocks", () => {
  it("encode the CS output block and the ring's user output page as the struct declares them", () => {
    const zero = { status_cmd_ptr: 0x40_0008, status_wait: 0, status_req_resource: 0, status_wait_sync_ptr: 0, status_wait_sync_value: 0, status_wait_sync_value_hi: 0,
      status_scoreboards: 0, status_blocked_reason: 0, fault: 0, fatal: 0, fault_info: 0, fatal_info: 0, heap_vt_start: 0, heap_vt_end: 0, heap_frag_end: 0, heap_address: 0 };
    const bytes = encodeCsOutput(3, zero);
    expect(bytes.length).toBe(CS_OUTPUT.size);
    expect(new DataView(bytes.buffer).getUint32(CS_OUTPUT.offsets.status_cmd_ptr, true)).toBe(0x40_0008);
    expect(encodeRingOutput(0x18, true)).toEqual(Uint8Array.of(0x18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
    expect(new Uint8Array(encodeStruct(CS_OUTPUT, { ...zero, ack: 3, reserved1: new Array(15).fill(0), reserved2: new Array(6).fill(0), reserved3: new Array(10).fill(0), reserved4: 0 }))).toEqual(bytes);
  });
});

describe("lookups the firmware repeats on every event", () => {
  it("names enum values, the first declared name for a value, undefined for none", () => {
    expect(enumName(CS_SYNC_SCOPE, CS_SYNC_SCOPE.CSG)).toBe("CSG");
    expect(enumName({ A: 1, B: 1 }, 1)).toBe("A");
    expect(enumName(CS_SYNC_SCOPE, 99)).toBeUndefined();
  });

  it("builds each CSG and CS path once and hands out the same string", () => {
    const p = firmwarePaths(1);
    expect(p.cs(2, 3)).toBe("gpu1.fw.csg.2.cs.3");
    expect(p.csg(4)).toBe("gpu1.fw.csg.4");
    expect(p.csgState(4)).toBe("gpu1.fw.csg.4.state");
    expect(p.cs(2, 3)).toBe(p.cs(2, 3));
  });
});
