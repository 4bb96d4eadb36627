import { describe, expect, it } from "vitest";
import { encodeGpuInfo, readGpuInfo } from "../../shared/gpu/gpuInfo.ts";
import { WorkloadClientSchema } from "../../shared/scenario/scenarioSchema.ts";
import { encodeBytes } from "../memory/memoryWrites.ts";
import { frameSubmit, frameWait, vertexWrite } from "./frameRequests.ts";
import { STREAMS_VA, TARGET_VA } from "./frameStreams.ts";
import { completeSetup, coreMasksOf, groupCreateArgs, SETUP_PLAN, type PartialSetup } from "./setupPlan.ts";

const cfg = WorkloadClientSchema.parse({ name: "game", frames: 10, priority: "low", width: 1280, height: 720, framesInFlight: 3 });

/** GPU_INFO bytes of a GPU with these masks (every other register 0). */
function gpuInfoData(shader: number, tiler: number): string {
  const info = readGpuInfo(() => 0);
  return encodeBytes(new Uint8Array(encodeGpuInfo({ ...info, shader_present: shader, tiler_present: tiler })));
}

/** Answers a device would give, by step name. */
const answers: Record<string, Record<string, unknown>[]> = {
  DEV_QUERY: [{ data: gpuInfoData(0x50005, 1), cleared: 0 }],
  VM_CREATE: [{ id: 4 }],
  BO_CREATE: [{ handle: 1, size: 4096 }, { handle: 2, size: 4096 }, { handle: 3, size: 3686400 }],
  BO_MMAP_OFFSET: [{ offset: 0x1_0000_0000 }, { offset: 0x1_0000_1000 }],
  GROUP_CREATE: [{ group_handle: 7 }],
  SYNCOBJ_CREATE: [{ handle: 11 }, { handle: 12 }],
};

function runPlan(): { requests: string[]; setup: PartialSetup; args: Map<string, unknown[]> } {
  const left = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, [...v]]));
  const args = new Map<string, unknown[]>();
  let r: PartialSetup = {};
  const requests: string[] = [];
  for (const step of SETUP_PLAN) {
    const q = step.request(r, cfg);
    requests.push(q.kind === "ioctl" ? q.ioctl : q.kind);
    if (q.kind === "ioctl") args.set(q.ioctl, [...(args.get(q.ioctl) ?? []), q.args]);
    r = step.apply(r, left[step.name]?.shift() ?? {});
  }
  return { requests, setup: r, args };
}

describe("the client's setup plan", () => {
  it("queries the GPU, creates and binds its BOs, writes its streams through mmap, then creates its group and syncobjs", () => {
    expect(runPlan().requests).toEqual([
      "DEV_QUERY", "VM_CREATE", "BO_CREATE", "BO_CREATE", "BO_CREATE", "VM_BIND",
      "BO_MMAP_OFFSET", "mmap", "write", "BO_MMAP_OFFSET", "mmap", "write",
      "GROUP_CREATE", "SYNCOBJ_CREATE", "SYNCOBJ_CREATE",
    ]);
  });

  it("keeps every handle the answers gave", () => {
    expect(completeSetup(runPlan().setup)).toEqual({
      shaderPresent: 0x50005, tilerPresent: 1, vmId: 4, streamsBo: 1, descriptorsBo: 2, targetBo: 3,
      streamsMmap: 0x1_0000_0000, descriptorsMmap: 0x1_0000_1000, group: 7, geometrySync: 11, frameSync: 12,
    });
    expect(completeSetup({ vmId: 1 })).toBeUndefined();
  });

  it("binds the render target at its VA with its page-rounded size in the one VM it created", () => {
    const bind = runPlan().args.get("VM_BIND")![0] as { vm_id: number; ops: { array: { va: number; size: number; bo_handle: number }[] } };
    expect(bind.vm_id).toBe(4);
    expect(bind.ops.array[2]).toMatchObject({ bo_handle: 3, va: TARGET_VA, size: 1280 * 720 * 4 });
  });

  it("creates a two-queue group on every present core at the configured priority", () => {
    const g = groupCreateArgs({ shaderPresent: 0x50005, tilerPresent: 1, vmId: 4 }, cfg) as Record<string, unknown>;
    expect(g).toMatchObject({ max_compute_cores: 4, max_fragment_cores: 4, max_tiler_cores: 1, priority: 0, compute_core_mask: 0x50005, tiler_core_mask: 1, vm_id: 4 });
    expect((g["queues"] as { count: number }).count).toBe(2);
  });

  it("reads the core masks out of the GPU_INFO bytes", () => {
    expect(coreMasksOf(gpuInfoData(0xf, 1))).toEqual({ shaderPresent: 0xf, tilerPresent: 1 });
  });
});

describe("a frame's requests", () => {
  const s = completeSetup(runPlan().setup)!;

  it("submit geometry on queue 0 signalling the frame's geometry point, and fragment on queue 1 waiting on it", () => {
    const q = frameSubmit(s, 5, 2);
    if (q.kind !== "ioctl") throw new Error("not an ioctl");
    const subs = (q.args as { queue_submits: { array: { queue_index: number; stream_addr: number; syncs: { array: { flags: number; handle: number; timeline_value: number }[] } }[] } }).queue_submits.array;
    expect(subs.map((j) => [j.queue_index, j.stream_addr])).toEqual([[0, STREAMS_VA + 0x200], [1, STREAMS_VA + 0x800]]);
    expect(subs[0]!.syncs.array).toEqual([{ flags: 0x8000_0001, handle: 11, timeline_value: 5 }]);
    expect(subs[1]!.syncs.array).toEqual([{ flags: 1, handle: 11, timeline_value: 5 }, { flags: 0x8000_0001, handle: 12, timeline_value: 5 }]);
  });

  it("wait on the frame's point of the frame timeline until an absolute deadline", () => {
    expect(frameWait(s, 5, 123)).toEqual({ kind: "ioctl", ioctl: "SYNCOBJ_TIMELINE_WAIT", args: { handles: [12], points: [5], count_handles: 1, flags: 0, timeout_nsec: 123 } });
  });

  it("store the vertex count into the slot's stream through the streams mapping", () => {
    const w = vertexWrite(s, 1, 999);
    expect(w).toMatchObject({ kind: "write", mmapOffset: 0x1_0000_0000, offset: 0x100 + 5 * 8 });
  });
});
