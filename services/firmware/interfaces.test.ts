import { describe, expect, it } from "vitest";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { encodeStruct } from "../../shared/gpu/structLayout.ts";
import { CSG_CONTROL, CSG_INPUT, CSG_OUTPUT, CS_CONTROL, CS_INPUT, CS_OUTPUT, GLB_CONTROL, GLB_INPUT, GLB_OUTPUT, RINGBUF_OUTPUT } from "./interfaces.ts";
import { CS, CSG, GLB, csConfig, decodeCsFeatures, decodeIfaceVersion, encodeCsFeatures, encodeIfaceVersion } from "./interfaceBits.ts";
import { discoverInterfaces } from "./interfaceDiscovery.ts";
import { CSF_MCU_SHARED_REGION_START, sharedRegionLayout, writeControlBlocks } from "./sharedRegion.ts";

const g610 = loadGpuModel("mali-g610-rk3588");
const g310 = loadGpuModel("mali-g310-small");

describe("firmware interface blocks (panthor_fw.h, panthor.md §3.2–3.6)", () => {
  it("places CS output fields at the offsets cs-isa.md §7.2–7.3 gives", () => {
    const o = CS_OUTPUT.offsets;
    expect([o.ack, o.status_cmd_ptr, o.status_wait, o.status_req_resource, o.status_wait_sync_ptr, o.status_wait_sync_value, o.status_scoreboards, o.status_blocked_reason, o.status_wait_sync_value_hi])
      .toEqual([0x00, 0x40, 0x48, 0x4c, 0x50, 0x58, 0x5c, 0x60, 0x64]);
    expect([o.fault, o.fatal, o.fault_info, o.fatal_info, o.heap_vt_start, o.heap_vt_end, o.heap_frag_end, o.heap_address]).toEqual([0x80, 0x84, 0x88, 0x90, 0xc0, 0xc4, 0xcc, 0xd0]);
    expect(CS_OUTPUT.size).toBe(0xd8);
  });

  it("places CS input, CSG and GLB fields where the kernel structs put them", () => {
    const ci = CS_INPUT.offsets;
    expect([ci.ringbuf_base, ci.ringbuf_size, ci.heap_start, ci.heap_end, ci.ringbuf_input, ci.ringbuf_output, ci.instrbuf_offset_ptr]).toEqual([0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x50]);
    expect([CSG_INPUT.offsets.allow_compute, CSG_INPUT.offsets.endpoint_req, CSG_INPUT.offsets.suspend_buf, CSG_INPUT.offsets.config]).toEqual([0x20, 0x34, 0x40, 0x50]);
    expect([CSG_OUTPUT.offsets.cs_irq_req, CSG_OUTPUT.offsets.status_state, CSG_OUTPUT.size]).toEqual([0x0c, 0x18, 0x20]);
    expect([GLB_INPUT.offsets.core_en_mask, GLB_INPUT.offsets.perfcnt_base, GLB_INPUT.offsets.perfcnt_config, GLB_INPUT.offsets.idle_timer]).toEqual([0x18, 0x28, 0x40, 0x80]);
    expect([GLB_OUTPUT.offsets.halt_status, GLB_CONTROL.size, CSG_CONTROL.size]).toEqual([0x10, 0x20, 0x1c]);
    expect([RINGBUF_OUTPUT.offsets.extract, RINGBUF_OUTPUT.offsets.active]).toEqual([0, 8]);
  });

  it("encodes the request and event masks as panthor_fw.h defines them", () => {
    expect(GLB.REQ_MASK).toBe(0x7ff);
    expect(GLB.EVT_MASK).toBe(0x07f0_0000);
    expect(CSG.REQ_MASK).toBe(0x37);
    expect(CSG.EVT_MASK).toBe(0xb000_0000);
    expect(CS.REQ_MASK).toBe(0xf17);
    expect(CS.EVT_MASK).toBe(0xcc00_0000);
    expect(csConfig(3, 2)).toBe(0x203);
    expect(encodeIfaceVersion({ major: 1, minor: 1, patch: 0 })).toBe(0x0101_0000);
    expect(decodeIfaceVersion(0x0302_0001)).toEqual({ major: 3, minor: 2, patch: 1 });
    expect(decodeCsFeatures(encodeCsFeatures(96, 8))).toEqual({ workRegs: 96, scoreboards: 8, compute: true, fragment: true, tiler: true });
  });
});

describe("shared region and interface discovery (panthor_fw_init_ifaces)", () => {
  it("lays out every block inside the section, without overlaps, for both models", () => {
    for (const model of [g610, g310]) {
      const l = sharedRegionLayout(model.firmware);
      expect(l.base).toBe(CSF_MCU_SHARED_REGION_START);
      expect(l.size % 4096).toBe(0);
      expect(l.csg).toHaveLength(model.firmware.csg_slot_count);
      const blocks = [l.glb, ...l.csg, ...l.csg.flatMap((g) => g.cs)];
      const starts = blocks.flatMap((b) => [b.input, b.output]);
      expect(new Set(starts).size).toBe(starts.length);
      for (const va of starts) expect(va + 0x100).toBeLessThanOrEqual(l.base + l.size);
      expect(l.csg[1]!.control - l.csg[0]!.control).toBe(l.groupStride);
      expect(l.csg[0]!.cs[0]!.control).toBe(l.base + 0x1000 + 0x40);
    }
  });

  it("discovers what the firmware wrote: version, slot counts, block VAs and csif_info", () => {
    const l = sharedRegionLayout(g610.firmware);
    const r = discoverInterfaces(writeControlBlocks(g610.firmware, l), l.base);
    if (!r.ok) throw r.error;
    expect(r.value.version).toEqual(g610.firmware.interface_version);
    expect(r.value.glb).toEqual(l.glb);
    expect(r.value.csg.map((g) => g.input)).toEqual(l.csg.map((g) => g.input));
    expect(r.value.csg[2]!.cs[5]).toMatchObject(l.csg[2]!.cs[5]!);
    expect(r.value.csifInfo).toEqual({
      csg_slot_count: Math.min(g610.firmware.csg_slot_count, 16), cs_slot_count: g610.firmware.cs_per_csg,
      cs_reg_count: 96, scoreboard_slot_count: 8, unpreserved_cs_reg_count: 4, pad: 0,
    });
  });

  it("fails like panthor on a zeroed region (firmware not booted) and on bad slot counts", () => {
    const l = sharedRegionLayout(g610.firmware);
    const zero = discoverInterfaces(new Uint8Array(l.size), l.base);
    expect(!zero.ok && [zero.error.reason, zero.error.message]).toEqual(["notBooted", "Firmware version is 0. Firmware may have failed to boot"]);
    const two = { ...g610.firmware, csg_slot_count: 2 };
    const l2 = sharedRegionLayout(two);
    const r2 = discoverInterfaces(writeControlBlocks(two, l2), l2.base);
    expect(!r2.ok && r2.error.reason).toBe("badGroupNum");
    const few = { ...g610.firmware, cs_per_csg: 4 };
    const l4 = sharedRegionLayout(few);
    const r4 = discoverInterfaces(writeControlBlocks(few, l4), l4.base);
    expect(!r4.ok && [r4.error.reason, r4.error.csg]).toEqual(["badStreamNum", 0]);
  });

  it("rejects a CS block whose input VA lies outside the section, and non-identical CS slots", () => {
    const l = sharedRegionLayout(g610.firmware);
    const region = writeControlBlocks(g610.firmware, l);
    const cs = l.csg[1]!.cs[3]!;
    const patched = region.slice();
    patched.set(new Uint8Array(encodeStruct(CS_CONTROL, { features: encodeCsFeatures(96, 8), input_va: 0x1000, output_va: cs.output })), cs.control - l.base);
    const r = discoverInterfaces(patched, l.base);
    expect(!r.ok && [r.error.reason, r.error.csg, r.error.cs]).toEqual(["badCsIfaceVa", 1, 3]);
    const other = region.slice();
    other.set(new Uint8Array(encodeStruct(CS_CONTROL, { features: encodeCsFeatures(64, 8), input_va: cs.input, output_va: cs.output })), cs.control - l.base);
    const r2 = discoverInterfaces(other, l.base);
    expect(!r2.ok && r2.error.message).toBe("Expecting identical CS slots");
  });
});
