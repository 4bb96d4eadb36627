import type { Envelope } from "../../shared/events/envelope.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { DeviceBindRequested, driverPaths } from "../../services/driver/driverEvents.ts";
import { driverActor, type DriverOptions } from "../../services/driver/driverService.ts";
import type { describeDriverState } from "../../services/driver/uapi/stateSnapshot.ts";
import { VmActivationRequested } from "../../services/driver/uapi/uapiEvents.ts";
import { uapiPaths } from "../../services/driver/uapi/uapiPaths.ts";
import { embeddedChannel } from "../../services/workload/drmChannel.ts";
import { openDevice, type DrmFile, type OpenOptions } from "../../services/workload/drmClient.ts";
import { gpuHardware } from "../../services/world.ts";

/** The G610 model, loaded once. */
export const G610 = loadGpuModel("mali-g610-rk3588");

/** The driver's memory-side snapshot. */
export type DriverMemorySnapshot = ReturnType<typeof describeDriverState>;

/** A probed device on the embedded runtime, with helpers to open clients and look inside. */
export interface DrmTestDevice {
  readonly sim: Simulation;
  readonly sink: MemoryLogSink;
  readonly mem: PhysicalMemory;
  readonly model: GpuModel;
  /** Open a DRM file for a client (a new channel named after it); `capSysNice` for a privileged process. */
  open(client: string, opts?: OpenOptions): DrmFile;
  /** The driver's memory-side state (files, VMs, GEM objects, AS slots). */
  state(): DriverMemorySnapshot;
  /** Events of the log of the given types, in order. */
  events(...types: string[]): Envelope[];
  /** Make a VM resident (`VmActivationRequested`): its AS, or the errno of `VmActivationFailed`. */
  activate(file: number, vmId: number): { as?: number; errno?: number };
}

/** A `drm_panthor_vm_bind_op` MAP. */
export const mapOp = (handle: number, va: number, size: number, more: { offset?: number; flags?: number } = {}) =>
  ({ flags: more.flags ?? 0, bo_handle: handle, bo_offset: more.offset ?? 0, va, size });

/** A `drm_panthor_vm_bind_op` UNMAP. */
export const unmapOp = (va: number, size: number) => ({ flags: 0x1000_0000, va, size });

/** `drm_panthor_vm_bind` args with `ops` as an obj_array of 48-byte ops. */
export const bindArgs = (vmId: number, ops: readonly object[], flags = 0) => ({ vm_id: vmId, flags, ops: { stride: 48, count: ops.length, array: ops } });

/**
 * A GPU (every hardware actor, supplies on as a boot loader leaves them) and its driver `drv0`,
 * bound at t = 0 and run until the DRM device is registered.
 */
export function bootDrmDevice(model: GpuModel = G610, opts: Omit<DriverOptions, "mem"> = {}): DrmTestDevice {
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "uapi", seed: 1, registry: createCatalogue(), sink });
  const mem = new PhysicalMemory(model.memory.system_ram_bytes);
  for (const a of gpuHardware(model, 0, 0, mem)) sim.addActor(a);
  const drv = sim.addActor(driverActor(0, model, { ...opts, mem }));
  sim.input("scenario", DeviceBindRequested, driverPaths(0).bind, {}, 0);
  const ok = sim.runUntil(() => sink.events.some((e) => e.type === "DrmDeviceRegistered"), 1_000_000_000);
  if (!ok) throw new Error(`probe did not register the device: ${sink.events.filter((e) => e.source === "drv0" && !e.type.startsWith("Mmio")).map((e) => e.type).join(", ")}`);
  return {
    sim, sink, mem, model,
    open: (client, opts) => openDevice(embeddedChannel(sim, client), 0, opts),
    state: () => (drv.behaviour.snapshot() as { memory: DriverMemorySnapshot }).memory,
    events: (...types) => sink.events.filter((e) => types.includes(e.type)),
    activate(file, vmId) {
      const from = sink.events.length;
      sim.input("test", VmActivationRequested, uapiPaths(0).vm, { file, vmId }, sim.scheduler.nowNs + 1);
      const answer = () => sink.events.slice(from).find((e) => e.type === "VmActivated" || e.type === "VmActivationFailed");
      sim.runUntil(() => answer() !== undefined, sim.scheduler.nowNs + 1_000_000_000);
      return answer()?.payload as { as?: number; errno?: number };
    },
  };
}

/** `drm_panthor_sync_op` flags: a binary syncobj to signal, or to wait on. */
export const SYNC = { SIGNAL: 0x8000_0000, WAIT: 0, TIMELINE: 1 } as const;

/** A `drm_panthor_queue_create`. */
export const queueCreate = (ringbufSize = 4096, priority = 0) => ({ priority, pad: [0, 0, 0], ringbuf_size: ringbufSize });

/** `drm_panthor_group_create` args: every core of the model allowed, `queues` as an obj_array. */
export const groupArgs = (vmId: number, queues: readonly object[] = [queueCreate()], more: Record<string, unknown> = {}, model: GpuModel = G610) => ({
  queues: { stride: 8, count: queues.length, array: queues },
  max_compute_cores: 1, max_fragment_cores: 1, max_tiler_cores: 1, priority: 0,
  compute_core_mask: model.present.shader_present, fragment_core_mask: model.present.shader_present, tiler_core_mask: model.present.tiler_present,
  vm_id: vmId, ...more,
});

/** A `drm_panthor_queue_submit`. */
export const queueSubmit = (queue: number, streamAddr: number, streamSize: number, syncs: readonly { flags: number; handle: number; timeline_value?: number }[] = []) => ({
  queue_index: queue, stream_addr: streamAddr, stream_size: streamSize, latest_flush: 0, pad: 0,
  syncs: { stride: 16, count: syncs.length, array: syncs.map((s) => ({ timeline_value: 0, ...s })) },
});

/** `drm_panthor_group_submit` args. */
export const submitArgs = (group: number, jobs: readonly object[]) => ({ group_handle: group, queue_submits: { stride: 40, count: jobs.length, array: jobs } });
