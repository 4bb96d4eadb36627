import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { GPU_CONTROL, decodeGpuCmd } from "../../shared/gpu/registers.ts";
import { GroupStateChanged, JobFenceSignalled, JobSubmitted } from "../../services/driver/sched/schedEvents.ts";
import { CsgStateChanged } from "../../services/firmware/firmwareEvents.ts";
import { PowerDomainChanged } from "../../services/power/powerEvents.ts";
import { GpuSoftResetCompleted, McuStatusChanged, MmioWriteIssued } from "../../services/regs/regsEvents.ts";
import { JobCompleted, JobFaulted, JobStarted } from "../../services/shader/shaderEvents.ts";
import { gpuOf, refOf, type EventRef } from "./eventRef.ts";

/**
 * What a mark draws: a job on a core (`job`, `job-faulted`, `job-hung`), a power state (`power-on`,
 * `power-trans`, `power-off`), an MCU status (`mcu`, `mcu-fatal`), a CSG slot state (`csg-running`,
 * `csg-suspended`, `csg-terminated`), a job fence from submission to signal (`fence-ok`,
 * `fence-error`, `fence-pending`), a reset request or completion (`reset`).
 */
export type TimelineMarkKind =
  | "job" | "job-faulted" | "job-hung" | "power-on" | "power-trans" | "power-off" | "mcu" | "mcu-fatal"
  | "csg-running" | "csg-suspended" | "csg-terminated" | "fence-ok" | "fence-error" | "fence-pending" | "reset";

/** One span (`endNs` set, or null when still open at the end of the log) or instant (`endNs` = `startNs`). */
export interface TimelineMark {
  readonly kind: TimelineMarkKind;
  readonly label: string;
  readonly startNs: number;
  readonly endNs: number | null;
  readonly start: EventRef;
  readonly end?: EventRef;
}

/** The GPU blocks a lane can belong to, in drawing order. */
export const LANE_BLOCKS = ["power", "mcu", "reset", "csg", "queue", "core"] as const;

/** A lane of the timeline: one GPU block (a power domain, the MCU, a CSG slot, a driver queue, a shader core). */
export interface TimelineLane {
  readonly id: string;
  readonly gpu: number;
  readonly block: (typeof LANE_BLOCKS)[number];
  readonly label: string;
  readonly marks: readonly TimelineMark[];
  /** Marks left out in the middle of a busy lane (its first and last ones are kept). */
  readonly dropped: number;
  /** The stretch of time the left-out marks covered, when there are any. */
  readonly gap?: { readonly fromNs: number; readonly toNs: number };
}

/** The timeline section of a report: what each GPU block did over virtual time, for the HTML picture. */
export interface AuditTimeline {
  readonly endNs: number;
  readonly lanes: readonly TimelineLane[];
}

/** How many marks a lane keeps from its start, and from its end. */
const KEEP_FIRST = 100;
const KEEP_LAST = 300;
const MCU = ["DISABLED", "ENABLED", "HALT", "FATAL"];

class Lane {
  readonly first: TimelineMark[] = [];
  last: TimelineMark[] = [];
  dropped = 0;
  open: { kind: TimelineMarkKind; label: string; start: EventRef } | undefined;
  constructor(readonly id: string, readonly gpu: number, readonly block: TimelineLane["block"], readonly label: string, readonly order: number) {}

  add(m: TimelineMark): void {
    if (this.first.length < KEEP_FIRST) return void this.first.push(m);
    this.last.push(m);
    if (this.last.length > 2 * KEEP_LAST) {
      this.dropped += this.last.length - KEEP_LAST;
      this.last = this.last.slice(-KEEP_LAST);
    }
  }

  /** Close the open state span (if any) at `end`, then open a span of `kind` (if given) labelled `label`. */
  state(end: EventRef, kind?: TimelineMarkKind, label = ""): void {
    const open = this.open;
    if (open !== undefined && open.start.id !== end.id) {
      this.add({ kind: open.kind, label: open.label, startNs: open.start.timeNs, endNs: end.timeNs, start: open.start, end });
    }
    this.open = kind === undefined ? undefined : { kind, label, start: end };
  }

  done(): TimelineLane {
    const marks = [...this.first];
    const tail = this.last.slice(-KEEP_LAST);
    const dropped = this.dropped + this.last.length - tail.length;
    const gap = dropped > 0 && marks.length > 0 && tail.length > 0 ? { fromNs: marks[marks.length - 1]!.endNs ?? marks[marks.length - 1]!.startNs, toNs: tail[0]!.startNs } : undefined;
    if (this.open !== undefined) tail.push({ kind: this.open.kind, label: this.open.label, startNs: this.open.start.timeNs, endNs: null, start: this.open.start });
    return { id: this.id, gpu: this.gpu, block: this.block, label: this.label, marks: [...marks, ...tail], dropped, ...(gap !== undefined ? { gap } : {}) };
  }
}

/** `0x…` of the numbers below 256, formatted once: power masks are small, and a power-heavy log draws one per event. */
const SMALL_HEX: readonly string[] = Array.from({ length: 256 }, (_, n) => `0x${n.toString(16)}`);
const hex = (n: number): string => SMALL_HEX[n] ?? `0x${n.toString(16)}`;
/** Power lanes in drawing order. */
const DOMAINS = ["l2", "tiler", "shader"];

/** The event types a timeline draws (every other event costs one set lookup). */
const DRAWN: ReadonlySet<string> = new Set([
  PowerDomainChanged, McuStatusChanged, MmioWriteIssued, GpuSoftResetCompleted, GroupStateChanged, CsgStateChanged, JobSubmitted, JobFenceSignalled, JobStarted, JobCompleted, JobFaulted,
].map((d) => d.type));

/**
 * The timeline of a log as a stream: per GPU, spans of power states (L2, tiler, shader), MCU
 * status, CSG slot states (with the group on the slot when the driver said), driver queues (each
 * job fence from `JobSubmitted` to `JobFenceSignalled`), shader cores (each job from `JobStarted`
 * to its end) and resets as instants. Faults, failures, recovery steps and violations are not
 * copied here: the HTML page draws them from the report's own lists. Bounded: a lane keeps its
 * first and last marks and counts the ones between.
 */
export class TimelineBuilder {
  /** Every lane by id, in the order they were first drawn. */
  private readonly lanes = new Map<string, Lane>();
  /** The same lanes by GPU, block and key. */
  private readonly index = new Map<number, Map<string, Map<string, Lane>>>();
  private readonly jobs = new Map<string, { lanes: Lane[]; label: string; start: EventRef; hung: boolean }>();
  private readonly fences = new Map<string, { lane: Lane; label: string; start: EventRef }>();
  private readonly slotGroup = new Map<string, string>();
  private endNs = 0;

  /** Look at one event of the log. */
  push(e: Envelope): void {
    this.endNs = Math.max(this.endNs, e.timeNs);
    if (!DRAWN.has(e.type)) return;
    const gpu = gpuOf(e);
    if (gpu === undefined) return;
    const ref = refOf(e);
    if (EventRegistry.is(PowerDomainChanged, e)) {
      const { domain, ready, trans } = e.payload;
      const kind = trans !== 0 ? "power-trans" : ready !== 0 ? "power-on" : "power-off";
      this.lane(gpu, "power", domain, `power ${domain}`, DOMAINS.indexOf(domain)).state(ref, kind, `${domain} READY ${hex(ready)} PWRTRANS ${hex(trans)}`);
    } else if (EventRegistry.is(McuStatusChanged, e)) {
      const name = MCU[e.payload.status] ?? String(e.payload.status);
      this.lane(gpu, "mcu", "mcu", "MCU", 0).state(ref, name === "FATAL" ? "mcu-fatal" : "mcu", `MCU_STATUS ${name}`);
    } else if (EventRegistry.is(MmioWriteIssued, e) && e.payload.offset === GPU_CONTROL.GPU_CMD) {
      const c = decodeGpuCmd(e.payload.value).kind;
      if (c === "SOFT_RESET" || c === "HARD_RESET") this.point(gpu, "reset", ref, `GPU_CMD ${c} written`);
    } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
      this.point(gpu, "reset", ref, `${e.payload.kind} reset completed`);
    } else if (EventRegistry.is(GroupStateChanged, e) && e.payload.csg !== undefined) {
      this.slotGroup.set(`${gpu}/${e.payload.csg}`, `group ${e.payload.file}/${e.payload.group}`);
    } else if (EventRegistry.is(CsgStateChanged, e)) {
      const { csg, state, request, as } = e.payload;
      const group = this.slotGroup.get(`${gpu}/${csg}`);
      const lane = this.lane(gpu, "csg", String(csg), `CSG ${csg}`, csg);
      if (state !== "terminated") lane.state(ref, `csg-${state}`, `${state} (${request}) AS${as}${group === undefined ? "" : ` ${group}`}`);
      else {
        lane.state(ref);
        lane.add({ kind: "csg-terminated", label: `terminated AS${as}${group === undefined ? "" : ` ${group}`}`, startNs: ref.timeNs, endNs: ref.timeNs, start: ref });
      }
    } else if (EventRegistry.is(JobSubmitted, e)) {
      const { file, group, queue, job, fence } = e.payload;
      const lane = this.lane(gpu, "queue", `${file}/${group}/${queue}`, `queue ${file}/${group}/${queue}`, file * 1e6 + group * 1e3 + queue);
      this.fences.set(`${gpu}/${fence}`, { lane, label: `job ${job} fence ${fence}`, start: ref });
    } else if (EventRegistry.is(JobFenceSignalled, e)) {
      const f = this.fences.get(`${gpu}/${e.payload.fence}`);
      if (f === undefined) return;
      this.fences.delete(`${gpu}/${e.payload.fence}`);
      const err = e.payload.error;
      f.lane.add({ kind: err === 0 ? "fence-ok" : "fence-error", label: `${f.label} signalled${err === 0 ? "" : ` with error ${err}`}`, startNs: f.start.timeNs, endNs: ref.timeNs, start: f.start, end: ref });
    } else if (EventRegistry.is(JobStarted, e)) {
      const lanes = coresOf(e.payload.cores).map((c) => this.lane(gpu, "core", String(c), `core ${c}`, c));
      const hung = e.payload.durationNs === undefined;
      this.jobs.set(`${gpu}/${e.payload.job}`, { lanes, label: `job ${e.payload.job} (AS${e.payload.as}, ${e.payload.kind})`, start: ref, hung });
    } else if (EventRegistry.is(JobCompleted, e) || EventRegistry.is(JobFaulted, e)) {
      const j = this.jobs.get(`${gpu}/${e.payload.job}`);
      if (j === undefined) return;
      this.jobs.delete(`${gpu}/${e.payload.job}`);
      const faulted = EventRegistry.is(JobFaulted, e);
      const label = faulted ? `${j.label} faulted: ${e.payload.reason}` : `${j.label} completed`;
      for (const l of j.lanes) l.add({ kind: faulted ? "job-faulted" : "job", label, startNs: j.start.timeNs, endNs: ref.timeNs, start: j.start, end: ref });
    }
  }

  /** The timeline, with what is still running or pending drawn open to the end of the log. */
  finish(): AuditTimeline {
    for (const j of this.jobs.values()) {
      for (const l of j.lanes) l.add({ kind: j.hung ? "job-hung" : "job", label: `${j.label} ${j.hung ? "hung" : "still running"}`, startNs: j.start.timeNs, endNs: null, start: j.start });
    }
    for (const f of this.fences.values()) f.lane.add({ kind: "fence-pending", label: `${f.label} pending`, startNs: f.start.timeNs, endNs: null, start: f.start });
    const blockOrder = (b: TimelineLane["block"]) => LANE_BLOCKS.indexOf(b);
    const lanes = [...this.lanes.values()].sort((a, b) => a.gpu - b.gpu || blockOrder(a.block) - blockOrder(b.block) || a.order - b.order);
    return { endNs: this.endNs, lanes: lanes.map((l) => l.done()) };
  }

  private lane(gpu: number, block: TimelineLane["block"], key: string, label: string, order: number): Lane {
    // Found by GPU, block and key rather than by the id `gpu<N>.<block>.<key>`: building and
    // hashing that string for every drawn event cost more than drawing it.
    let blocks = this.index.get(gpu);
    if (blocks === undefined) this.index.set(gpu, (blocks = new Map()));
    let keys = blocks.get(block);
    if (keys === undefined) blocks.set(block, (keys = new Map()));
    let lane = keys.get(key);
    if (lane === undefined) {
      const id = `gpu${gpu}.${block}.${key}`;
      keys.set(key, (lane = this.lanes.get(id) ?? new Lane(id, gpu, block, label, order)));
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private point(gpu: number, block: TimelineLane["block"], ref: EventRef, label: string): void {
    this.lane(gpu, block, block, block, 0).add({ kind: "reset", label, startNs: ref.timeNs, endNs: ref.timeNs, start: ref });
  }
}

/** The core numbers of a core mask. */
function coresOf(mask: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < 32; c++) if ((mask >>> c) & 1) out.push(c);
  return out;
}
