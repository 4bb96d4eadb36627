import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { PayloadOf } from "../../shared/events/registry.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { JOB_INT_GLOBAL_IF, MCU_STATUS } from "../../shared/gpu/registerFields.ts";
import { TranslationRequested, type TranslationCompleted } from "../mmu/mmuEvents.ts";
import { mmuPaths } from "../mmu/mmuPaths.ts";
import { physicalSpans } from "../mmu/translateRanges.ts";
import { McuStatusChanged } from "../regs/regsEvents.ts";
import { createSlots } from "./csgControl.ts";
import type { Firmware } from "./firmware.ts";
import { decodeFirmwareDescriptor, TYRSIM_CSF_DESCRIPTOR, type TyrsimCsfDescriptor } from "./firmwareDescriptor.ts";
import { FirmwareBooted, FirmwareBootFailed, FirmwareCrashed } from "./firmwareEvents.ts";
import { MCU_AS } from "./firmwareRuntime.ts";
import { writeGlbOutput } from "./glbControl.ts";
import { MCU_CODE_VA, MCU_DATA_VA } from "./imageBuilder.ts";
import { decodeCsFeatures, decodeIfaceVersion, GLB_HALT_STATUS } from "./interfaceBits.ts";
import { CSG_OUTPUT, CS_OUTPUT, GLB_OUTPUT } from "./interfaces.ts";
import type { BootFailure, McuDeps } from "./mcuMachine.ts";
import { CSF_MCU_SHARED_REGION_START, sharedRegionLayout, writeControlBlocks } from "./sharedRegion.ts";

/**
 * The MCU's boot, as the firmware itself would do it (panthor.md §3.7): the reset vector and
 * the boot descriptor must translate through AS0 — asked of the MMU actor with
 * `TranslationRequested`, so an unmapped image faults there like any other access — then the
 * descriptor is read through the mapping and names the shared section, which must translate
 * too; after the boot latency the interface control blocks are written into the shared region,
 * MCU_STATUS becomes ENABLED and JOB_INT GLOBAL_IF is raised (`panthor_fw_start()` waits for
 * it). Also the MCU's other lifecycle effects: halt, stop, crash, reset.
 */

/** The MMU's answer to a boot translation. */
export type BootTranslation = PayloadOf<typeof TranslationCompleted>;

const job = (f: Firmware, what: "image" | "shared") => `mcu-boot-${f.bootSerial}-${what}`;

/** The firmware block a descriptor describes (what the MCU "is"), validated against its layout. */
function firmwareBlock(d: TyrsimCsfDescriptor): GpuModel["firmware"] | undefined {
  const cs = decodeCsFeatures(d.cs_features);
  if (d.group_num < 1 || d.group_num > 31 || d.stream_num < 1 || d.stream_num > 32 || cs.workRegs < 8 || cs.scoreboards < 1) return undefined;
  const fw = {
    path: "", interface_version: decodeIfaceVersion(d.iface_version), features: d.features, instr_features: d.instr_features,
    csg_slot_count: d.group_num, cs_per_csg: d.stream_num, cs_reg_count: cs.workRegs, scoreboard_slot_count: cs.scoreboards,
  };
  return sharedRegionLayout(fw).size === d.shared_size ? fw : undefined;
}

/** Route a `TranslationCompleted` meant for the boot. */
export function onBootTranslation(f: Firmware, p: BootTranslation): void {
  const fail = (failure: BootFailure) => sendChecked(f.mcu, { type: "BOOT_FAILED", failure });
  const fault = (reason: BootFailure["reason"]) => fail({ reason, va: p.fault?.faultAddress ?? 0, ...(p.fault ? { exceptionName: p.fault.exceptionName } : {}) });
  if (p.job === job(f, "image")) {
    if (!p.ok) return fault("image-unmapped");
    const spans = physicalSpans(p.segments, MCU_DATA_VA.start, TYRSIM_CSF_DESCRIPTOR.size) ?? [];
    const bytes = new Uint8Array(TYRSIM_CSF_DESCRIPTOR.size);
    for (const s of spans) {
      const chunk = bytes.subarray(s.offset, s.offset + s.len);
      chunk.set(f.fw.views.mem.read(s.pa, s.len));
      f.fw.pending.overlay(s.pa, chunk);
    }
    const descriptor = decodeFirmwareDescriptor(bytes);
    const fw = descriptor && firmwareBlock(descriptor);
    if (descriptor === undefined || fw === undefined) return fail({ reason: "bad-descriptor", va: MCU_DATA_VA.start });
    f.pendingImage = { descriptor, fw, layout: sharedRegionLayout(fw) };
    sendChecked(f.mcu, { type: "IMAGE_FOUND" });
  } else if (p.job === job(f, "shared") && f.pendingImage !== null) {
    if (!p.ok) return fault("shared-unmapped");
    f.image = { ...f.pendingImage, sharedPa: p.segments[0]!.pa };
    sendChecked(f.mcu, { type: "SHARED_MAPPED" });
  }
}

/** The MCU lifecycle's effects (see `mcuMachine.ts`). */
export function bootDeps(f: Firmware): McuDeps {
  const fw = f.fw;
  const translate = (what: "image" | "shared", ranges: PayloadOf<typeof TranslationRequested>["ranges"]) =>
    fw.ctx.publish(TranslationRequested, mmuPaths(fw.config.gpu).translate, { requester: fw.ctx.name, job: job(f, what), as: MCU_AS, ranges });
  const status = (s: number) => fw.ctx.publish(McuStatusChanged, fw.regs.mcuStatus, { status: s });
  return {
    fetchImage() {
      f.bootSerial++;
      f.pendingImage = null;
      translate("image", [
        { va: MCU_CODE_VA.start, size: 4096, access: "execute" },
        { va: MCU_DATA_VA.start, size: TYRSIM_CSF_DESCRIPTOR.size, access: "read" },
      ]);
    },
    mapShared() {
      translate("shared", [{ va: CSF_MCU_SHARED_REGION_START, size: f.pendingImage!.descriptor.shared_size, access: "write" }]);
    },
    bootFailed: (failure) => fw.fact(FirmwareBootFailed, fw.paths.boot, failure),
    started: (fast) => fw.batch(() => start(f, fast)),
    halted() {
      f.executor.stop();
      status(MCU_STATUS.HALT);
    },
    stopped() {
      f.dropRuntime();
      status(MCU_STATUS.DISABLED);
    },
    crashed: () =>
      fw.batch(() => {
        f.executor.stop();
        sendChecked(f.doorbells, { type: "STOP" });
        f.glb.out.haltStatus = GLB_HALT_STATUS.ON_PANIC;
        writeGlbOutput(f);
        status(MCU_STATUS.FATAL);
        fw.fact(FirmwareCrashed, fw.paths.boot, { reason: "injected", haltStatus: GLB_HALT_STATUS.ON_PANIC });
      }),
    reset() {
      f.dropRuntime();
      f.image = null;
      f.pendingImage = null;
    },
  };
}

/** `running` entered: a cold start writes the interfaces; both announce ENABLED and raise GLOBAL_IF. */
function start(f: Firmware, fast: boolean): void {
  const fw = f.fw;
  const image = f.image!;
  if (!fast) {
    f.dropRuntime();
    const { layout } = image;
    const region = writeControlBlocks(image.fw, layout);
    // The control blocks, and the firmware-owned output blocks (zeroed); the host's input blocks are left alone.
    fw.writeMcu(layout.base, region.subarray(0, layout.glb.input - layout.base));
    fw.writeMcu(layout.glb.output, region.subarray(layout.glb.output - layout.base));
    fw.blocksZeroed([
      { va: layout.glb.output, size: GLB_OUTPUT.size },
      ...layout.csg.flatMap((g) => [{ va: g.output, size: CSG_OUTPUT.size }, ...g.cs.map((c) => ({ va: c.output, size: CS_OUTPUT.size }))]),
    ]);
    f.slots = createSlots(f, image);
  }
  fw.ctx.publish(McuStatusChanged, fw.regs.mcuStatus, { status: MCU_STATUS.ENABLED });
  const v = image.fw.interface_version;
  fw.fact(FirmwareBooted, fw.paths.boot, {
    version: `${v.major}.${v.minor}.${v.patch}`, groupNum: image.fw.csg_slot_count, streamNum: image.fw.cs_per_csg,
    sharedVa: image.layout.base, sharedPa: image.sharedPa, sharedSize: image.layout.size, fast,
  });
  fw.raiseIrq(JOB_INT_GLOBAL_IF);
  f.executor.kick();
  f.faults?.started();
}
