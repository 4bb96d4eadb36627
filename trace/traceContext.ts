import type { Envelope } from "../shared/events/envelope.ts";
import { pathOf } from "../shared/events/subjects.ts";
import { hex, usOf, type TraceArgs, type TraceEvent } from "./traceEvent.ts";
import type { Pending, TraceQueue } from "./traceQueue.ts";
import { Lanes, gpuOfActor, gpuOfPath, type TrackRef, type TrackTable } from "./traceTracks.ts";

/** A v2 flow binding on a slice or marker: one per trace event (Perfetto's `bind_id`). */
export interface FlowBinding {
  readonly id: string;
  readonly in: boolean;
  readonly out: boolean;
}

/**
 * What renderers draw with: instants, markers, slices and counters on named tracks, at the time
 * of the log event being rendered. Passing the log event (`of`) makes the trace event stand for
 * it: a cause flow is drawn from the event standing for its `cause`, and later effects flow from it.
 */
export class TraceContext {
  /** Virtual time of the log event being rendered, ns. */
  nowNs = 0;
  readonly lanes = new Lanes();
  private flowIds = 0;

  constructor(
    readonly queue: TraceQueue,
    readonly tracks: TrackTable,
    /** Leave out register accesses and generic instants. */
    readonly compact: boolean,
  ) {}

  /**
   * A fresh v2 flow id, shared by every renderer so that job, queue and frame flows never collide;
   * ids start at 2^32 because Perfetto numbers v1 flows from 0 in the same id space.
   */
  newFlowId(): string {
    return hex(2 ** 32 + ++this.flowIds);
  }

  /** A thread-scoped instant. */
  instant(where: TrackRef, name: string, cat: string, args: TraceArgs, of?: Envelope): Pending {
    return this.put({ ph: "i", name, cat, ...this.at(where), ts: usOf(this.nowNs), s: "t", args }, of);
  }

  /** A zero-duration complete slice: an instant that can carry a v2 flow (`i` cannot). */
  marker(where: TrackRef, name: string, cat: string, args: TraceArgs, flow?: FlowBinding, of?: Envelope): Pending {
    return this.put({ ph: "X", name, cat, ...this.at(where), ts: usOf(this.nowNs), dur: 0, ...bind(flow), args }, of);
  }

  /** Open a slice now; close it with {@link end}. */
  begin(where: TrackRef, name: string, cat: string, args: TraceArgs, of?: Envelope, flow?: FlowBinding): Pending {
    return this.put({ ph: "B", name, cat, ...this.at(where), ts: usOf(this.nowNs), ...bind(flow), args }, of);
  }

  /**
   * Close a slice now (at the end of the log: with `unfinished: true`). `rename` names a slice
   * that began in this instant after the fact (ignored for longer slices).
   */
  end(slice: Pending, args?: TraceArgs, rename?: string): void {
    this.queue.end(slice, this.nowNs, args, rename);
  }

  /** Rename an open slice whose name was a guess; false when it is already written (keep the guess). */
  rename(slice: Pending, name: string): boolean {
    return this.queue.rename(slice, name);
  }

  /** Counter values of process `pid` now; Perfetto names each track `name + " " + key`. */
  counter(pid: number, name: string, values: Record<string, number>): void {
    this.tracks.process(pid);
    this.queue.push({ ph: "C", name, pid, ts: usOf(this.nowNs), args: values }, this.nowNs);
  }

  /** Make `p` stand for `of` too, without a flow (a state slice re-entered stands for the re-entry). */
  alias(of: Envelope, p: Pending): void {
    this.queue.register(of.id, p);
  }

  /** Make `p`, begun in this instant, stand for `of` too, with a flow from `of`'s cause (events merged into one slice). */
  stand(of: Envelope, p: Pending): void {
    if (this.queue.register(of.id, p)) this.queue.link(of.cause, p);
  }

  /** The GPU a log event is about: its source's, else its subject's, else its payload's `gpu`. */
  gpuOf(e: Envelope): number | undefined {
    const gpu = gpuOfActor(e.source) ?? gpuOfPath(pathOf(e.subject));
    if (gpu !== undefined) return gpu;
    const p = e.payload as { gpu?: unknown } | null;
    return typeof p?.gpu === "number" ? p.gpu : undefined;
  }

  private at(where: TrackRef): { pid: number; tid: number } {
    return { pid: where.pid, tid: this.tracks.tid(where) };
  }

  private put(event: TraceEvent, of: Envelope | undefined): Pending {
    const p = this.queue.push(event, this.nowNs);
    if (of !== undefined && this.queue.register(of.id, p)) this.queue.link(of.cause, p);
    return p;
  }
}

function bind(flow: FlowBinding | undefined): Partial<TraceEvent> {
  if (flow === undefined) return {};
  return { bind_id: flow.id, ...(flow.in ? { flow_in: true } : {}), ...(flow.out ? { flow_out: true } : {}) };
}
