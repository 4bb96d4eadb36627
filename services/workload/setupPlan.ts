/**
 * The setup a Mesa-style client does before its first frame, as an ordered plan of requests
 * (panfrost_open_device / panvk_physical_device_init, then the device, queue and memory set-up):
 * DEV_QUERY GPU_INFO for the core masks, VM_CREATE, BO_CREATE for streams, descriptors and the
 * render target, one VM_BIND mapping all three, BO_MMAP_OFFSET + mmap + CPU writes of the streams
 * and descriptors, GROUP_CREATE with two queues (0: vertex/tiler, 1: fragment, as PanVK's
 * subqueues), and two timeline syncobjs (geometry done, frame done).
 *
 * Each step builds its request from the results so far and folds its answer's output fields into
 * them. Pure: the workload actor sends the requests and feeds the answers back.
 */
import { decodeStruct } from "../../shared/gpu/structLayout.ts";
import { DRM_PANTHOR_GPU_INFO, GPU_INFO_SIZE } from "../../shared/gpu/gpuInfo.ts";
import { popcount } from "../../shared/gpu/model.ts";
import type { WorkloadClient } from "../../shared/scenario/scenarioSchema.ts";
import { decodeBytes } from "../memory/memoryWrites.ts";
import {
  DESCRIPTORS_VA, SMALL_BO_BYTES, STREAMS_VA, TARGET_VA, descriptorsImage, streamsImage, targetBytes,
} from "./frameStreams.ts";

/** One request of the client to the DRM device. */
export type WorkloadRequest =
  | { readonly kind: "ioctl"; readonly ioctl: string; readonly args: unknown }
  | { readonly kind: "mmap"; readonly offset: number; readonly length: number }
  | { readonly kind: "write"; readonly mmapOffset: number; readonly offset: number; readonly bytes: Uint8Array };

/** What setup learned and created. */
export interface SetupResults {
  readonly shaderPresent: number;
  readonly tilerPresent: number;
  readonly vmId: number;
  readonly streamsBo: number;
  readonly descriptorsBo: number;
  readonly targetBo: number;
  readonly streamsMmap: number;
  readonly descriptorsMmap: number;
  readonly group: number;
  readonly geometrySync: number;
  readonly frameSync: number;
}

/** Results accumulated so far. */
export type PartialSetup = Partial<SetupResults>;

/** One step: its name (for error events), its request, and how its answer's output is kept. */
export interface SetupStep {
  readonly name: string;
  request(r: PartialSetup, cfg: WorkloadClient): WorkloadRequest;
  apply(r: PartialSetup, out: Readonly<Record<string, unknown>>): PartialSetup;
}

/** `PANTHOR_GROUP_PRIORITY_*`. */
export const GROUP_PRIORITY = { low: 0, medium: 1, high: 2, realtime: 3 } as const;
/** Ring buffer of each queue (4 KiB: 32 job wrappers of 16 words). */
export const RING_BYTES = 4096;

const need = (r: PartialSetup, k: keyof SetupResults): number => {
  const v = r[k];
  if (v === undefined) throw new Error(`setup step run before ${k} is known`);
  return v;
};
const ioctl = (name: string, args: unknown): WorkloadRequest => ({ kind: "ioctl", ioctl: name, args });
const keep = (r: PartialSetup): PartialSetup => r;
const handle = (k: keyof SetupResults) => (r: PartialSetup, out: Readonly<Record<string, unknown>>): PartialSetup => ({ ...r, [k]: out["handle"] as number });
const offsetOf = (k: keyof SetupResults) => (r: PartialSetup, out: Readonly<Record<string, unknown>>): PartialSetup => ({ ...r, [k]: out["offset"] as number });
const mapOp = (bo: number, va: number, size: number) => ({ flags: 0, bo_handle: bo, bo_offset: 0, va, size });
const size = (cfg: WorkloadClient) => ({ width: cfg.width, height: cfg.height });

/** The core masks from `drm_panthor_gpu_info` bytes (DEV_QUERY's `data`). */
export function coreMasksOf(data: string): { shaderPresent: number; tilerPresent: number } {
  const bytes = decodeBytes(data);
  const info = decodeStruct(DRM_PANTHOR_GPU_INFO, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { shaderPresent: info.shader_present, tilerPresent: info.tiler_present };
}

/** `drm_panthor_group_create` for the client's two queues, every present core allowed. */
export function groupCreateArgs(r: PartialSetup, cfg: WorkloadClient): unknown {
  const shader = need(r, "shaderPresent");
  const queue = { priority: 0, pad: [0, 0, 0], ringbuf_size: RING_BYTES };
  return {
    queues: { stride: 8, count: 2, array: [queue, queue] },
    max_compute_cores: popcount(shader),
    max_fragment_cores: popcount(shader),
    max_tiler_cores: 1,
    priority: GROUP_PRIORITY[cfg.priority],
    compute_core_mask: shader,
    fragment_core_mask: shader,
    tiler_core_mask: need(r, "tilerPresent"),
    vm_id: need(r, "vmId"),
  };
}

/** The setup plan, in order. */
export const SETUP_PLAN: readonly SetupStep[] = [
  {
    name: "DEV_QUERY",
    request: () => ioctl("DEV_QUERY", { type: 0, size: GPU_INFO_SIZE, pointer: 1 }),
    apply: (r, out) => ({ ...r, ...coreMasksOf(out["data"] as string) }),
  },
  { name: "VM_CREATE", request: () => ioctl("VM_CREATE", {}), apply: (r, out) => ({ ...r, vmId: out["id"] as number }) },
  { name: "BO_CREATE", request: () => ioctl("BO_CREATE", { size: SMALL_BO_BYTES }), apply: handle("streamsBo") },
  { name: "BO_CREATE", request: () => ioctl("BO_CREATE", { size: SMALL_BO_BYTES }), apply: handle("descriptorsBo") },
  { name: "BO_CREATE", request: (_, cfg) => ioctl("BO_CREATE", { size: targetBytes(size(cfg)) }), apply: handle("targetBo") },
  {
    name: "VM_BIND",
    request: (r, cfg) => ioctl("VM_BIND", {
      vm_id: need(r, "vmId"),
      flags: 0,
      ops: {
        stride: 48,
        count: 3,
        array: [
          mapOp(need(r, "streamsBo"), STREAMS_VA, SMALL_BO_BYTES),
          mapOp(need(r, "descriptorsBo"), DESCRIPTORS_VA, SMALL_BO_BYTES),
          mapOp(need(r, "targetBo"), TARGET_VA, targetBytes(size(cfg))),
        ],
      },
    }),
    apply: keep,
  },
  { name: "BO_MMAP_OFFSET", request: (r) => ioctl("BO_MMAP_OFFSET", { handle: need(r, "streamsBo") }), apply: offsetOf("streamsMmap") },
  { name: "mmap", request: (r) => ({ kind: "mmap", offset: need(r, "streamsMmap"), length: SMALL_BO_BYTES }), apply: keep },
  {
    name: "write",
    request: (r, cfg) => ({ kind: "write", mmapOffset: need(r, "streamsMmap"), offset: 0, bytes: streamsImage(cfg.framesInFlight, cfg.vertices, size(cfg)) }),
    apply: keep,
  },
  { name: "BO_MMAP_OFFSET", request: (r) => ioctl("BO_MMAP_OFFSET", { handle: need(r, "descriptorsBo") }), apply: offsetOf("descriptorsMmap") },
  { name: "mmap", request: (r) => ({ kind: "mmap", offset: need(r, "descriptorsMmap"), length: SMALL_BO_BYTES }), apply: keep },
  { name: "write", request: (r, cfg) => ({ kind: "write", mmapOffset: need(r, "descriptorsMmap"), offset: 0, bytes: descriptorsImage(size(cfg)) }), apply: keep },
  { name: "GROUP_CREATE", request: (r, cfg) => ioctl("GROUP_CREATE", groupCreateArgs(r, cfg)), apply: (r, out) => ({ ...r, group: out["group_handle"] as number }) },
  { name: "SYNCOBJ_CREATE", request: () => ioctl("SYNCOBJ_CREATE", { flags: 0 }), apply: handle("geometrySync") },
  { name: "SYNCOBJ_CREATE", request: () => ioctl("SYNCOBJ_CREATE", { flags: 0 }), apply: handle("frameSync") },
];

/** Setup results once every step ran (undefined while any is missing). */
export function completeSetup(r: PartialSetup): SetupResults | undefined {
  const keys: (keyof SetupResults)[] = [
    "shaderPresent", "tilerPresent", "vmId", "streamsBo", "descriptorsBo", "targetBo", "streamsMmap", "descriptorsMmap", "group", "geometrySync", "frameSync",
  ];
  return keys.every((k) => typeof r[k] === "number") ? (r as SetupResults) : undefined;
}
