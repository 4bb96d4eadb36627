/**
 * Loading `mali_csffw.bin` into the MCU's VM (panthor.md §3.1, §3.7 step 1): `panthor_vm_create`
 * of the MCU VM (4 GiB, its kernel section the shared region `0x04000000 + 64 MiB`), then
 * `panthor_fw_load` → `panthor_fw_load_section_entry` for every IFACE section: a kernel BO at the
 * section's MCU VA, mapped with the section's permissions, its data copied in (the rest stays
 * zero). The image is the one tyrsim ships for the model (`buildFirmwareImage`), parsed as the
 * kernel parses it (`parseFirmwareImage`); the CPU's copies are `MemoryWritten` events, so the
 * firmware actor later fetches its reset vector and boot descriptor through AS0 from those bytes.
 *
 * Simplified: the image comes from the model, not from `request_firmware()`; CACHED and
 * UNCACHED_COHERENT sections map alike (the model has no caches).
 */
import { mmuPaBits } from "../../../shared/gpu/registerFields.ts";
import type { GpuModel } from "../../../shared/gpu/model.ts";
import { buildFirmwareImage, parseFirmwareImage, type FirmwareSection } from "../../firmware/index.ts";
import { CSF_MCU_SHARED_REGION_SIZE, CSF_MCU_SHARED_REGION_START } from "../../firmware/sharedRegion.ts";
import { createPanthorGpuVm } from "../../gpuvm/index.ts";
import { createPageTable } from "../../mmu/pageTable.ts";
import { mutexLock, mutexUnlock, type KTask } from "../ktask.ts";
import type { DriverState, PanthorVm } from "../uapi/driverState.ts";
import { KBO_MAP, kernelBoCreate, kernelBoDestroy, kernelBoWrite } from "../uapi/kernelBo.ts";
import { publishTables } from "../uapi/ptUpdate.ts";
import type { FwSection } from "./fwTypes.ts";

const SZ_4G = 2 ** 32;

/** A load that failed: the kernel's message and errno. */
export interface FwLoadFailure {
  readonly errno: number;
  readonly detail: string;
}

/** `panthor_vm_create(ptdev, true, 0, SZ_4G, CSF_MCU_SHARED_REGION_START, CSF_MCU_SHARED_REGION_SIZE)`: the MCU VM. */
export function* createMcuVm(d: DriverState): KTask<PanthorVm> {
  const pt = createPageTable(d.ptMem, { ias: d.vaBits, oas: Math.min(mmuPaBits(d.dev.info.mmu_features), 48) });
  const vm: PanthorVm = {
    uid: 0, file: 0, id: 0, gpuvm: createPanthorGpuVm(d.vaBits, true), pt, as: undefined, asActiveCnt: 0, status: "usable", unhandledFault: false,
    layout: { vaBits: 32, kernelVaStart: CSF_MCU_SHARED_REGION_START, kernelVaRange: CSF_MCU_SHARED_REGION_SIZE, userVaRange: SZ_4G },
    bindQueue: [], fenceContext: d.fences.contextAlloc(1), nextBindSeq: 1,
    kernelVa: { start: CSF_MCU_SHARED_REGION_START, end: CSF_MCU_SHARED_REGION_START + CSF_MCU_SHARED_REGION_SIZE, used: [] }, heapPool: undefined,
  };
  yield* mutexLock(d.mmLock);
  yield* publishTables(d);
  yield* mutexUnlock(d.mmLock);
  return vm;
}

/** The VM_BIND map flags of a section: read-only unless WR, no-exec unless EX, uncached when shared or NONE. */
function sectionMapFlags(s: FirmwareSection): number {
  let flags = 0;
  if (!s.write) flags |= KBO_MAP.READONLY;
  if (!s.exec) flags |= KBO_MAP.NOEXEC;
  if (s.shared || s.cacheMode === "NONE") flags |= KBO_MAP.UNCACHED;
  return flags;
}

/** `panthor_fw_load`: every section of the model's image in the MCU VM; the sections, or the failure (nothing left mapped). */
export function* loadFirmwareSections(d: DriverState, mcuVm: PanthorVm, model: GpuModel): KTask<{ sections: FwSection[]; gitSha: string | undefined } | FwLoadFailure> {
  const parsed = parseFirmwareImage(buildFirmwareImage(model));
  if (!parsed.ok) return { errno: -parsed.error.errno, detail: parsed.error.message };
  const sections: FwSection[] = [];
  for (const s of parsed.image.sections) {
    const bo = yield* kernelBoCreate(d, mcuVm, s.va.end - s.va.start, { va: s.va.start, mapFlags: sectionMapFlags(s) });
    if (typeof bo === "number") {
      yield* unloadFirmwareSections(d, sections);
      return { errno: bo, detail: `cannot map section ${s.name} at 0x${s.va.start.toString(16)}` };
    }
    if (s.data.length > 0) yield* kernelBoWrite(d, bo, 0, s.data);
    sections.push({ name: s.name, va: s.va, bo, data: s.data, shared: s.va.start === CSF_MCU_SHARED_REGION_START });
  }
  return { sections, gitSha: parsed.image.gitSha };
}

/** `panthor_fw_unplug`'s section teardown: unmap and free every section, last first. */
export function* unloadFirmwareSections(d: DriverState, sections: readonly FwSection[]): KTask<void> {
  for (const s of [...sections].reverse()) yield* kernelBoDestroy(d, s.bo);
}
