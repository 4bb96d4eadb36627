import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { decodeFirmwareDescriptor } from "./firmwareDescriptor.ts";
import { parseFirmwareImage, type FirmwareImageErrorReason } from "./image.ts";
import { assembleFirmwareImage, buildFirmwareImage, type ImageEntrySpec } from "./imageBuilder.ts";
import { CSF_FW_BINARY_ENTRY_TYPE, IFACE_ENTRY } from "./imageFormat.ts";
import { CSF_MCU_SHARED_REGION_START, sharedRegionLayout } from "./sharedRegion.ts";

const g610 = loadGpuModel("mali-g610-rk3588");
const RW = IFACE_ENTRY.RD | IFACE_ENTRY.WR;
const shared: ImageEntrySpec = { kind: "section", name: "shared", flags: RW | IFACE_ENTRY.SHARED, va: { start: CSF_MCU_SHARED_REGION_START, end: CSF_MCU_SHARED_REGION_START + 0x1000 } };

function rejection(bytes: Uint8Array): { reason: FirmwareImageErrorReason; message: string } {
  const r = parseFirmwareImage(bytes);
  if (r.ok) throw new Error("image was accepted");
  expect(r.error.errno).toBe(ERRNO.EINVAL);
  return { reason: r.error.reason, message: r.error.message };
}

describe("firmware image (panthor_fw_load, panthor.md §3.1)", () => {
  it("builds an image for the G610 that parses back into the sections the driver must map", () => {
    const bytes = buildFirmwareImage(g610);
    expect(new DataView(bytes.buffer).getUint32(0, true)).toBe(0xc3f13a6e);
    const r = parseFirmwareImage(bytes);
    if (!r.ok) throw r.error;
    const img = r.image;
    expect(img.version).toEqual({ major: 0, minor: 1 });
    expect(img.sections.map((s) => [s.name, s.va.start, s.read, s.write, s.exec, s.cacheMode, s.shared, s.zero])).toEqual([
      ["tyrsim.text", 0x0, true, false, true, "CACHED", false, false],
      ["tyrsim.data", 0x10_0000, true, true, false, "CACHED", false, true],
      ["tyrsim.shared", 0x0400_0000, true, true, false, "NONE", true, true],
    ]);
    expect(img.sharedSection.va.end - img.sharedSection.va.start).toBe(sharedRegionLayout(g610.firmware).size);
    expect(img.sharedSection.data).toHaveLength(0);
    expect(img.skipped).toEqual([expect.objectContaining({ type: CSF_FW_BINARY_ENTRY_TYPE.TRACE_BUFFER, reason: "ignoredType" })]);
    expect(img.gitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(img.warnings).toEqual([]);
    // the data section starts with the boot descriptor the simulated MCU reads
    expect(decodeFirmwareDescriptor(img.sections[1]!.data)).toMatchObject({ group_num: g610.firmware.csg_slot_count, stream_num: g610.firmware.cs_per_csg });
    // the code section starts with a Cortex-M vector table: initial SP, reset vector (Thumb)
    const code = new DataView(img.sections[0]!.data.buffer);
    expect([code.getUint32(0, true), code.getUint32(4, true)]).toEqual([0x11_0000, 0x41]);
  });

  it("is deterministic and differs between models", () => {
    expect(buildFirmwareImage(g610)).toEqual(buildFirmwareImage(g610));
    expect(buildFirmwareImage(loadGpuModel("mali-g310-small"))).not.toEqual(buildFirmwareImage(g610));
  });

  it("rejects a bad magic, a header major other than 0, a short file and a truncated entry table", () => {
    const good = buildFirmwareImage(g610);
    const patch = (at: number, byte: number) => Uint8Array.from(good, (b, i) => (i === at ? byte : b));
    expect(rejection(patch(0, 0x00))).toMatchObject({ reason: "badMagic", message: expect.stringMatching(/^Invalid firmware magic/) });
    expect(rejection(patch(5, 1)).reason).toBe("unsupportedVersion");
    expect(rejection(good.slice(0, 12)).reason).toBe("tooSmall");
    const entriesEnd = new DataView(good.buffer).getUint32(16, true);
    expect(rejection(good.slice(0, entriesEnd - 8)).reason).toBe("truncated");
  });

  it("rejects corrupt section entries with the kernel's checks", () => {
    const section = (over: Partial<Extract<ImageEntrySpec, { kind: "section" }>>): Uint8Array =>
      assembleFirmwareImage({ entries: [shared, { kind: "section", name: "s", flags: RW, va: { start: 0x10000, end: 0x20000 }, ...over }] });
    expect(rejection(section({ va: { start: 0x20000, end: 0x10000 } })).reason).toBe("vaEndBeforeStart");
    expect(rejection(section({ va: { start: 0x10800, end: 0x20000 } })).reason).toBe("vaNotPageAligned");
    expect(rejection(section({ flags: RW | (1 << 8) })).message).toMatch(/unsupported flags \(0x103\)/);
    expect(rejection(assembleFirmwareImage({ entries: [{ ...shared, flags: RW }] }))).toMatchObject({ reason: "sharedNotShared", message: expect.stringMatching(/^Interface at 0x4000000 must be shared/) });
    // data beyond the file: cut the file short of the last section's data
    const withData = section({ data: new Uint8Array(64).fill(7) });
    expect(rejection(withData.slice(0, withData.length - 8)).reason).toBe("dataBeyondFile");
  });

  it("rejects a misaligned or overlong entry and an unknown mandatory entry type, and skips unknown optional ones", () => {
    const img = assembleFirmwareImage({ entries: [shared, { kind: "raw", type: 9, payload: new Uint8Array(4) }] });
    expect(rejection(img)).toMatchObject({ reason: "unsupportedEntryType", message: expect.stringMatching(/Unsupported non-optional entry type 9/) });
    const optional = parseFirmwareImage(assembleFirmwareImage({ entries: [shared, { kind: "raw", type: 9, optional: true }] }));
    expect(optional.ok && optional.image.skipped).toEqual([expect.objectContaining({ type: 9, reason: "optionalUnknown" })]);
    const view = new DataView(img.buffer);
    const second = 20 + 4 + 20 + 8; // header, shared entry (ehdr + hdr + "shared" padded to 8)
    view.setUint32(second, (view.getUint32(second, true) & ~0xff00) | (6 << 8), true); // size 6: not a multiple of 4
    expect(rejection(img).reason).toBe("entryMisaligned");
    view.setUint32(second, (view.getUint32(second, true) & ~0xff00) | (0xfc << 8), true); // runs past hdr.size
    expect(rejection(img).reason).toBe("entryTooLong");
  });

  it("skips a protected-mode section with panthor's warning and requires the shared region", () => {
    const prot = parseFirmwareImage(assembleFirmwareImage({ entries: [shared, { kind: "section", name: "protm", flags: RW | IFACE_ENTRY.PROT, va: { start: 0x8000_0000, end: 0x8000_1000 } }] }));
    if (!prot.ok) throw prot.error;
    expect(prot.image.skipped).toEqual([expect.objectContaining({ reason: "protected" })]);
    expect(prot.image.warnings).toEqual(["Firmware protected mode entry not be supported, ignoring"]);
    expect(rejection(assembleFirmwareImage({ entries: [] })).reason).toBe("noSharedRegion");
  });

  it("tolerates build info that is not NUL-terminated, with a warning", () => {
    const img = assembleFirmwareImage({ entries: [shared, { kind: "buildInfo", gitSha: "abc" }] });
    const text = Buffer.from(img).indexOf("git_sha: abc\0", 0, "latin1");
    img[text + "git_sha: abc".length] = 0x41; // overwrite the terminating NUL
    const r = parseFirmwareImage(img);
    expect(r.ok && r.image.warnings).toEqual(["Firmware's git sha is not NULL terminated"]);
    const ok = parseFirmwareImage(assembleFirmwareImage({ entries: [shared, { kind: "buildInfo", gitSha: "abc" }] }));
    expect(ok.ok && ok.image.gitSha).toBe("abc");
  });
});
