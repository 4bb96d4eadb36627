import type { TraceQueue } from "./traceQueue.ts";

/** The process of everything outside the GPUs: driver actors, scenario and injector inputs, the runtime. */
export const HOST_PID = 1;

/** The process of GPU `gpu`. */
export const gpuPid = (gpu: number): number => 2 + gpu;

/**
 * Kinds of track, in the order a reader wants them; the kind is part of the tid
 * (`pid·10⁶ + kind·10⁵ + n`), so a track keeps its tid whatever else a log contains before it,
 * and tids never collide with pids (Perfetto keys thread names by tid alone).
 */
export const TRACK_KINDS = ["probe", "power", "clock", "core", "as", "csg", "queue", "irq", "mmio", "actor"] as const;
/** A kind of track. */
export type TrackKind = (typeof TRACK_KINDS)[number];

/** Where a trace event goes: a process and a named track of a kind. */
export interface TrackRef {
  readonly pid: number;
  readonly kind: TrackKind;
  readonly name: string;
}

/**
 * The trace's processes and tracks (Chrome JSON "threads"): each gets its `process_name` /
 * `thread_name` metadata the first time it is used, so the trace names exactly the tracks it has.
 */
export class TrackTable {
  private readonly processes = new Set<number>();
  private readonly tids = new Map<string, number>();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly queue: TraceQueue,
    private readonly processName: (pid: number) => string,
  ) {}

  /** The pid, named on first use. */
  process(pid: number): number {
    if (!this.processes.has(pid)) {
      this.processes.add(pid);
      this.queue.push({ ph: "M", name: "process_name", pid, ts: 0, args: { name: this.processName(pid) } }, 0);
    }
    return pid;
  }

  /** The tid of a track, named on first use. */
  tid(ref: TrackRef): number {
    const key = `${ref.pid}/${ref.kind}/${ref.name}`;
    const known = this.tids.get(key);
    if (known !== undefined) return known;
    this.process(ref.pid);
    const group = `${ref.pid}/${ref.kind}`;
    const n = this.counts.get(group) ?? 0;
    this.counts.set(group, n + 1);
    const tid = ref.pid * 1_000_000 + TRACK_KINDS.indexOf(ref.kind) * 100_000 + n;
    this.tids.set(key, tid);
    this.queue.push({ ph: "M", name: "thread_name", pid: ref.pid, tid, ts: 0, args: { name: ref.name } }, 0);
    return tid;
  }
}

/**
 * Parallel lanes of one track: slices that overlap without nesting (two jobs sharing a core, two
 * outstanding reads) go to the lowest free lane, `core 0`, `core 0 (2)`, …, so every lane holds at
 * most one open slice and `B`/`E` nest trivially.
 */
export class Lanes {
  private readonly busy = new Map<string, boolean[]>();

  /** Take the lowest free lane of `ref` and return it as a track. */
  acquire(ref: TrackRef): { readonly track: TrackRef; readonly release: () => void } {
    const key = `${ref.pid}/${ref.kind}/${ref.name}`;
    const lanes = this.busy.get(key) ?? [];
    this.busy.set(key, lanes);
    let lane = lanes.indexOf(false);
    if (lane < 0) lane = lanes.length;
    lanes[lane] = true;
    const track = lane === 0 ? ref : { ...ref, name: `${ref.name} (${lane + 1})` };
    return { track, release: () => void (lanes[lane] = false) };
  }
}

const GPU_ACTOR = /^gpu(\d+)(?:\.|$)/;

/** The GPU an actor belongs to (`gpu0.pwr` → 0), or undefined for driver and host actors. */
export function gpuOfActor(source: string): number | undefined {
  const m = GPU_ACTOR.exec(source);
  return m === null ? undefined : Number(m[1]);
}

/** The GPU a subject path is about (`gpu0.pwr.cmd` → 0): where a driver's or a scenario's event lands. */
export function gpuOfPath(path: string | undefined): number | undefined {
  return path === undefined ? undefined : gpuOfActor(path);
}

/** An actor's own track: in its GPU's process for hardware actors, in the host process otherwise. */
export function actorTrack(source: string): TrackRef {
  const gpu = gpuOfActor(source);
  return { pid: gpu === undefined ? HOST_PID : gpuPid(gpu), kind: "actor", name: source };
}

/** A track of GPU `gpu`. */
export const gpuTrack = (gpu: number, kind: TrackKind, name: string): TrackRef => ({ pid: gpuPid(gpu), kind, name });

/** The track of CSG slot `csg` of GPU `gpu`. */
export const csgTrack = (gpu: number, csg: number): TrackRef => gpuTrack(gpu, "csg", `CSG ${csg}`);

/** The track of command stream `cs` of CSG slot `csg`: the firmware's queue. */
export const csTrack = (gpu: number, csg: number, cs: number): TrackRef => gpuTrack(gpu, "csg", `CSG ${csg} CS ${cs}`);
