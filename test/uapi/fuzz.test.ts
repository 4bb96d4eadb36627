import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { documentedErrnos, IOCTL_NAMES } from "../../services/driver/uapi/ioctlErrnos.ts";
import { embeddedChannel } from "../../services/workload/drmChannel.ts";
import { openDevice, type DrmFile } from "../../services/workload/drmClient.ts";
import { encode, wordsToBytes } from "../../services/firmware/index.ts";
import { ERRNO, errnoName } from "../../shared/gpu/errno.ts";
import { bootDrmDevice, type DrmTestDevice } from "../support/drmDevice.ts";
import { expectedRanges, framesByObject, tableRanges } from "../support/pageTableCheck.ts";

/**
 * Random ioctl sequences from two clients — valid, invalid and hostile arguments mixed, group
 * creation, submission and destruction and tiler heaps included — with the invariants checked
 * after every step: no exception escapes (no ActorHandlerFailed), every errno is one the ioctl
 * documents (`ioctlErrnos.ts`), no GEM handle, VM mapping, CPU mapping or page-table leaf of one
 * client reaches an object of the other (kernel BOs — rings, sync objects, heap chunks — only in
 * the VM they were made for), and every VM's tables in RAM agree with its GPUVM tree. After the
 * sequence the simulation runs on until every submitted job's fence has signalled, exactly once
 * (bounded: 6 s of virtual time covers panthor's 5 s job timeout). CI runs 100 sequences of up to
 * 30 steps; TYRSIM_FUZZ_RUNS=1000000 is the long mode, TYRSIM_FUZZ_SEED replays a reported seed.
 */
const RUNS = Number(process.env["TYRSIM_FUZZ_RUNS"] ?? 100);
const SEED = Number(process.env["TYRSIM_FUZZ_SEED"] ?? 20251121);
const PG = 4096;

const hostile = fc.constantFrom<unknown>(-1, 1.5, "x", null, true, [], {}, "18446744073709551615", 2 ** 60, "bad");
const id = fc.constantFrom(1, 1, 1, 2, 2, 3);
const small = fc.oneof({ weight: 4, arbitrary: id }, { weight: 1, arbitrary: fc.constantFrom(0, 4, 0xffff_ffff) });
const u32 = fc.oneof(small, fc.constantFrom(0xffff_ffff, 0x8000_0000), fc.nat({ max: 0xffff_ffff }), hostile);
const pages = fc.integer({ min: 1, max: 8 }).map((n) => n * PG);
const size = fc.oneof(fc.nat({ max: 70_000 }), fc.constantFrom<unknown>(0, 2 ** 22, "18446744073709551615"), hostile);
const va = fc.oneof(fc.nat({ max: 2 ** 32 }), fc.constantFrom<unknown>(2 ** 47 - PG, 2 ** 47, "18446744073709547520"), hostile);
const vaInWindow = fc.nat({ max: 24 }).map((n) => 0x10_0000 + n * PG);
const pointer = <T>(data: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: data }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, "bad") });
/** Mostly well-formed arguments (`valid`), sometimes anything (`wild`): the kernel must survive both. */
const mix = <T, U>(valid: fc.Arbitrary<T>, wild: fc.Arbitrary<U>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: wild });
const pad = fc.constantFrom(0, 0, 0, 0, 1);

const syncOp = mix(
  fc.record({ flags: fc.constantFrom(0, 1, 0x8000_0000, 0x8000_0001), handle: id, timeline_value: fc.nat({ max: 3 }) }),
  fc.record({ flags: u32, handle: small, timeline_value: fc.oneof(fc.nat({ max: 6 }), hostile) }),
);
const objArray = <T>(elem: fc.Arbitrary<T>, stride: number) =>
  mix(
    fc.array(elem, { maxLength: 3 }).map((a) => ({ stride, count: a.length, array: a })),
    fc.record({ stride: fc.oneof(fc.constantFrom(0, stride - 8, stride + 8), u32), count: fc.nat({ max: 4 }), array: pointer(fc.array(elem, { maxLength: 3 })) }),
  );
const noSyncs = { stride: 16, count: 0, array: 0 };
const asyncSyncs = mix(
  fc.array(fc.oneof({ weight: 3, arbitrary: fc.record({ flags: fc.constantFrom(0x8000_0000, 0x8000_0001), handle: id, timeline_value: fc.constant(0) }).map((o) => ({ ...o, timeline_value: o.flags === 0x8000_0001 ? 1 : 0 })) }, { weight: 1, arbitrary: fc.record({ flags: fc.constant(0), handle: id }) }), { maxLength: 2 })
    .map((a) => ({ stride: 16, count: a.length, array: a })),
  objArray(syncOp, 16),
);
/** A bind op: well-formed MAP/UNMAP/SYNC_ONLY ops (sync ops only on async binds), or anything. */
const bindOp = (async: boolean) => fc.oneof(
  {
    weight: 8,
    arbitrary: fc.oneof(
      fc.record({ flags: fc.constantFrom(0, 1, 2, 4), bo_handle: id, bo_offset: fc.constantFrom(0, 0, PG), va: vaInWindow, size: fc.constantFrom(PG, PG, 2 * PG, 4 * PG), syncs: async ? asyncSyncs : fc.constant(noSyncs) }),
      fc.record({ flags: fc.constant(0x1000_0000), va: vaInWindow, size: pages, syncs: async ? asyncSyncs : fc.constant(noSyncs) }),
      ...(async ? [fc.record({ flags: fc.constant(0x2000_0000), syncs: asyncSyncs })] : []),
    ),
  },
  { weight: 1, arbitrary: fc.record({
    flags: fc.oneof(fc.constantFrom(0, 1, 2, 4, 0x1000_0000, 0x2000_0000, 0x3000_0000, 0x1000_0001), u32),
    bo_handle: small, bo_offset: fc.oneof(fc.constantFrom(0, PG, 100), hostile), va, size, syncs: objArray(syncOp, 16),
  }, { requiredKeys: ["flags"] }) },
);
const vmBindArgs = fc.constantFrom(0, 0, 0, 1, 1, 1, 2).chain((flags) => fc.record({ vm_id: mix(fc.constantFrom(1, 1, 1, 1, 2), small), flags: fc.constant(flags), ops: objArray(bindOp(flags === 1), 48) }));
const handles = pointer(fc.array(small, { minLength: 1, maxLength: 3 }));
const counted = (extra: Record<string, fc.Arbitrary<unknown>>) =>
  fc.array(id, { minLength: 1, maxLength: 3 }).chain((hs) => fc.record({ handles: fc.constant(hs), count_handles: fc.constant(hs.length), points: fc.constant(hs.map((_, i) => i + 1)), ...extra }));

/** Where each client's stream BO (handle 4, out of the CPU steps' reach) is mapped: a store into its own page. */
const STREAM_VA = 0x40_0000;
const queueCreate = mix(
  fc.record({ priority: fc.constantFrom(0, 0, 15), pad: fc.constant([0, 0, 0]), ringbuf_size: fc.constantFrom(4096, 4096, 8192) }),
  fc.record({ priority: fc.constantFrom(16, 255), pad: fc.constantFrom([0, 0, 0], [0, 1, 0]), ringbuf_size: fc.oneof(fc.constantFrom(2048, 4096 + 8, 1 << 17), u32) }),
);
const groupCreateArgs = mix(
  fc.record({
    queues: fc.array(queueCreate, { minLength: 1, maxLength: 2 }).map((a) => ({ stride: 8, count: a.length, array: a })),
    priority: fc.constantFrom(0, 1, 1, 2), vm_id: fc.constantFrom(1, 1, 1, 2),
    compute_core_mask: fc.constant(0x50005), fragment_core_mask: fc.constant(0x50005), tiler_core_mask: fc.constant(1),
    max_compute_cores: fc.constantFrom(1, 4), max_fragment_cores: fc.constant(1), max_tiler_cores: fc.constant(1),
  }),
  fc.record({ queues: objArray(queueCreate, 8), priority: u32, pad, vm_id: small, compute_core_mask: u32, tiler_core_mask: u32, max_tiler_cores: fc.nat({ max: 3 }) }),
);
const queueSubmit = mix(
  fc.record({
    queue_index: fc.constantFrom(0, 0, 0, 1, 2),
    stream: fc.constantFrom({ a: STREAM_VA, n: 24 }, { a: STREAM_VA, n: 24 }, { a: 0x10_0000, n: 64 }, { a: 0, n: 0 }, { a: 0, n: 24 }),
    syncs: fc.oneof({ weight: 2, arbitrary: fc.constant(noSyncs) }, { weight: 1, arbitrary: asyncSyncs }),
  }).map(({ stream, ...rest }) => ({ ...rest, stream_addr: stream.a, stream_size: stream.n, latest_flush: 0, pad: 0 })),
  fc.record({ queue_index: small, stream_addr: va, stream_size: u32, latest_flush: fc.constantFrom(0, 1 << 24), pad, syncs: objArray(syncOp, 16) }),
);
const groupSubmitArgs = fc.record({ group_handle: mix(fc.constantFrom(1, 1, 2), small), queue_submits: objArray(queueSubmit, 40) });
const heapArgs = mix(
  fc.record({ vm_id: fc.constantFrom(1, 1, 2), initial_chunk_count: fc.constantFrom(1, 2), chunk_size: fc.constantFrom(128 * 1024, 256 * 1024), max_chunks: fc.constantFrom(2, 4), target_in_flight: fc.constant(1) }),
  fc.record({ vm_id: small, initial_chunk_count: u32, chunk_size: u32, max_chunks: u32, target_in_flight: u32 }),
);

/** One ioctl with arguments drawn from valid, invalid and hostile values. */
const ioctlCall: fc.Arbitrary<{ name: string; args: unknown }> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ name: fc.constant("BO_CREATE"), args: mix(fc.record({ size: fc.oneof(pages, fc.nat({ max: 3 * PG })), flags: fc.constantFrom(0, 0, 1) }), fc.record({ size, flags: fc.oneof(fc.constantFrom(0, 1, 2, 3), u32), exclusive_vm_id: small, pad }, { requiredKeys: ["size"] })) }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant("VM_CREATE"), args: mix(fc.constant({}), fc.record({ flags: fc.constantFrom(0, 0, 1), user_va_range: fc.oneof(fc.constantFrom(0, 2 ** 32, 2 ** 47), hostile) })) }) },
  { weight: 5, arbitrary: fc.record({ name: fc.constant("VM_BIND"), args: vmBindArgs }) },
  fc.record({ name: fc.constant("VM_DESTROY"), args: fc.record({ id: small, pad }) }),
  fc.record({ name: fc.constant("VM_GET_STATE"), args: fc.record({ vm_id: small, pad }) }),
  fc.record({ name: fc.constant("GEM_CLOSE"), args: fc.record({ handle: small, pad }) }),
  fc.record({ name: fc.constant("BO_MMAP_OFFSET"), args: fc.record({ handle: small, pad }) }),
  fc.record({ name: fc.constant("BO_SET_LABEL"), args: fc.record({ handle: small, label: fc.oneof(fc.string(), fc.constantFrom<unknown>(null, 0, "bad", "x".repeat(5000))) }) }),
  fc.record({ name: fc.constant("DEV_QUERY"), args: mix(fc.record({ type: fc.nat({ max: 3 }), size: fc.constantFrom(0, 24, 112, 128), pointer: fc.constantFrom(0, 1) }), fc.record({ type: fc.oneof(fc.nat({ max: 5 }), hostile), size: u32, pointer: fc.constantFrom<unknown>(0, 1, "bad") })) }),
  { weight: 2, arbitrary: fc.record({ name: fc.constant("SYNCOBJ_CREATE"), args: fc.record({ flags: fc.constantFrom(0, 1, 2) }) }) },
  fc.record({ name: fc.constant("SYNCOBJ_DESTROY"), args: fc.record({ handle: small, pad }) }),
  fc.record({ name: fc.constantFrom("SYNCOBJ_SIGNAL", "SYNCOBJ_RESET"), args: mix(counted({}), fc.record({ handles, count_handles: fc.nat({ max: 3 }), pad })) }),
  fc.record({ name: fc.constantFrom("SYNCOBJ_TIMELINE_SIGNAL", "SYNCOBJ_QUERY"), args: mix(counted({ flags: fc.constantFrom(0, 0, 1) }), fc.record({ handles, points: pointer(fc.array(fc.nat({ max: 6 }), { maxLength: 3 })), count_handles: fc.nat({ max: 3 }), flags: fc.nat({ max: 3 }) })) }),
  fc.record({ name: fc.constantFrom("SYNCOBJ_WAIT", "SYNCOBJ_TIMELINE_WAIT"), args: mix(counted({ flags: fc.nat({ max: 7 }), timeout_nsec: fc.constant(0) }), fc.record({ handles, points: pointer(fc.array(fc.nat({ max: 6 }), { maxLength: 3 })), count_handles: fc.nat({ max: 3 }), flags: fc.nat({ max: 15 }), timeout_nsec: fc.constantFrom(0, 1, -5) })) }),
  fc.record({ name: fc.constant("SYNCOBJ_TRANSFER"), args: fc.record({ src_handle: small, dst_handle: small, src_point: fc.nat({ max: 4 }), dst_point: fc.nat({ max: 4 }), flags: fc.constantFrom(0, 0, 0, 1), pad }) }),
  fc.record({ name: fc.constantFrom("SYNCOBJ_HANDLE_TO_FD", "SYNCOBJ_FD_TO_HANDLE"), args: fc.record({ handle: small, flags: fc.nat({ max: 3 }), fd: fc.integer({ min: 99, max: 104 }), pad, point: fc.constantFrom(0, 0, 1) }) }),
  { weight: 2, arbitrary: fc.record({ name: fc.constant("GROUP_CREATE"), args: groupCreateArgs }) },
  { weight: 10, arbitrary: fc.record({ name: fc.constant("GROUP_SUBMIT"), args: groupSubmitArgs }) },
  fc.record({ name: fc.constantFrom("GROUP_DESTROY", "GROUP_GET_STATE"), args: fc.record({ group_handle: small, pad }) }),
  fc.record({ name: fc.constant("TILER_HEAP_CREATE"), args: heapArgs }),
  fc.record({ name: fc.constant("TILER_HEAP_DESTROY"), args: fc.record({ handle: fc.constantFrom(1 << 16, 2 << 16, (1 << 16) | 1, 0), pad }) }),
  fc.record({ name: fc.constantFrom(...IOCTL_NAMES, "NOT_AN_IOCTL", ""), args: hostile }),
);

type Step =
  | { kind: "ioctl"; client: number; name: string; args: unknown }
  | { kind: "cpu"; client: number; handle: number; op: "mmap" | "munmap" | "read" | "write"; offset: number; len: number }
  | { kind: "activate"; client: number; vmId: number }
  | { kind: "reopen"; client: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("ioctl" as const), client: fc.nat({ max: 1 }), call: ioctlCall }).map(({ kind, client, call }) => ({ kind, client, ...call })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("cpu" as const), client: fc.nat({ max: 1 }), handle: id, op: fc.constantFrom("mmap" as const, "munmap" as const, "read" as const, "write" as const), offset: fc.nat({ max: 3 * PG }), len: fc.nat({ max: 2 * PG }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("activate" as const), client: fc.nat({ max: 1 }), vmId: id }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const), client: fc.nat({ max: 1 }) }) },
);

const CPU_ERRNOS = new Set(["EINVAL", "EACCES", "EFAULT", "ENOMEM", "EBUSY", "EBADF"]);

function expectErrno(what: string, ret: number, allowed: ReadonlySet<string>): void {
  if (ret !== 0 && !allowed.has(errnoName(ret))) expect.fail(`${what} returned ${errnoName(ret)} (${ret}), not among ${[...allowed].join(", ")}`);
}

/** The isolation and consistency invariants (see the file comment). */
function checkInvariants(dev: DrmTestDevice): void {
  expect(dev.events("ActorHandlerFailed").map((e) => e.payload)).toEqual([]);
  const origin = new Map(dev.events("GemObjectCreated").map((e) => [(e.payload as { obj: number }).obj, (e.payload as { file: number }).file]));
  const s = dev.state();
  const frames = framesByObject(s);
  /** Frame → the file whose GEM object holds it, or the kernel BO (`kernel:<obj>`) it belongs to. */
  const owner = new Map<number, number | string>();
  for (const [obj, fs] of frames) for (const fr of fs) owner.set(fr, origin.get(obj) ?? `kernel:${obj}`);
  for (const file of s.files) {
    for (const [, obj] of file.handles) expect(origin.get(obj), `file ${file.id} holds a handle to object ${obj}`).toBe(file.id);
    for (const m of file.mappings) expect(origin.get(m.obj), `file ${file.id} maps object ${m.obj}`).toBe(file.id);
    for (const vm of file.vms) {
      for (const v of vm.vas) expect(origin.get(v.obj!), `VM ${file.id}/${vm.id} maps object ${v.obj}`).toBe(file.id);
      const ranges = tableRanges(dev.mem, vm);
      const ownKernelBos = new Set(vm.kernelVas.map((v) => `kernel:${v.obj}`));
      for (const r of ranges) {
        for (let pa = r.pa; pa < r.pa + r.size; pa += PG) {
          const o = owner.get(pa / PG);
          if (typeof o === "string") expect(ownKernelBos.has(o), `VM ${file.id}/${vm.id} reaches ${o}'s frame ${pa / PG}`).toBe(true);
          else expect(o, `VM ${file.id}/${vm.id} reaches frame ${pa / PG}`).toBe(file.id);
        }
      }
      expect(ranges).toEqual(expectedRanges(vm, frames));
    }
  }
}

/**
 * Handle 4 of each client: a BO at {@link STREAM_VA} holding a stream that stores into its own
 * second half (`pad` BOs first, so the CPU steps' handles 1–3 never reach it).
 */
function mapStreamBo(f: DrmFile, pads: number): void {
  for (let i = 0; i < pads; i++) f.ioctl("BO_CREATE", { size: PG });
  const h = f.ioctl("BO_CREATE", { size: 2 * PG }).out.handle as number;
  f.ioctl("VM_BIND", { vm_id: 1, flags: 0, ops: { stride: 48, count: 1, array: [{ flags: 0, bo_handle: h, bo_offset: 0, va: STREAM_VA, size: 2 * PG }] } });
  f.mmap(h).write(0, wordsToBytes([encode.move32(0, 0x5eed), encode.move48(2, STREAM_VA + PG), encode.storeMultiple(0, 2, 0b1)]));
}

/** Run on until every submitted job's fence has signalled (at most 6 s: a stuck job times out after 5 s), exactly once. */
function expectEveryFenceSignalled(dev: DrmTestDevice): void {
  const jobs = (type: string) => dev.events(type).map((e) => (e.payload as { job: string }).job);
  const settled = () => jobs("JobFenceSignalled").length >= jobs("JobSubmitted").length;
  dev.sim.runUntil(settled, dev.sim.scheduler.nowNs + 6_000_000_000);
  expect([...jobs("JobFenceSignalled")].sort()).toEqual([...jobs("JobSubmitted")].sort());
}

function runStep(dev: DrmTestDevice, files: DrmFile[], channels: ReturnType<typeof embeddedChannel>[], s: Step): void {
  const f = files[s.client]!;
  switch (s.kind) {
    case "ioctl": {
      const r = f.ioctl(s.name, s.args);
      expectErrno(s.name, r.ret, documentedErrnos(s.name));
      return;
    }
    case "cpu": {
      const off = f.ioctl("BO_MMAP_OFFSET", { handle: s.handle });
      const at = off.ret === 0 ? (off.out.offset as number) : 2 ** 32 + s.offset * PG;
      const arg = s.op === "write" ? Uint8Array.from({ length: s.len }, (_, i) => (i * 7 + s.client) & 0xff) : s.len;
      expectErrno(`cpu ${s.op}`, f.cpuAccess(s.op, at, s.offset, arg).ret, CPU_ERRNOS);
      return;
    }
    case "activate":
      dev.activate(f.fd, s.vmId);
      return;
    case "reopen":
      expect(f.close()).toBe(0);
      files[s.client] = openDevice(channels[s.client]!);
  }
}

describe("uAPI fuzz: two clients, random ioctl sequences (fast-check)", () => {
  it(`keeps every invariant over ${RUNS} sequences of up to 30 steps (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 30 }), (steps) => {
        const dev = bootDrmDevice();
        const channels = [embeddedChannel(dev.sim, "a"), embeddedChannel(dev.sim, "b")];
        const files = channels.map((c) => openDevice(c));
        // both clients start with VM 1, BO 1, a signalled syncobj 1 and group 1 (two queues) with a
        // stream BO; only A has BO 2 and syncobj 2, so B naming them must fail (and would reach A's
        // objects if a lookup ignored the file)
        files.forEach((f, i) => {
          f.ioctl("VM_CREATE");
          f.ioctl("BO_CREATE", { size: 2 * PG });
          f.syncobjCreate(1);
          if (i === 0) {
            f.ioctl("BO_CREATE", { size: 8 * PG });
            f.syncobjCreate();
          }
          mapStreamBo(f, i === 0 ? 2 : 3);
          f.ioctl("GROUP_CREATE", { queues: { stride: 8, count: 2, array: [{ ringbuf_size: 4096 }, { ringbuf_size: 4096 }] }, compute_core_mask: 0x50005, fragment_core_mask: 0x50005, tiler_core_mask: 1, vm_id: 1 });
        });
        for (const s of steps) {
          runStep(dev, files, channels, s);
          checkInvariants(dev);
        }
        expectEveryFenceSignalled(dev);
        expect(ERRNO.EBADF).toBe(9);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
  }, 600_000);
});
