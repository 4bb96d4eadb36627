import { usOf, type TraceArgs, type TraceEvent } from "./traceEvent.ts";

/**
 * A trace event waiting in the output window, with the v1 flow records that must be written
 * right after it (they bind to "the slice on top of this track", which is this one only as long
 * as nothing else on the track comes between).
 */
export interface Pending {
  event: TraceEvent;
  /** Virtual time of `event.ts`, ns. */
  readonly tsNs: number;
  trailing?: TraceEvent[];
  /** A `B` whose `E` has not been seen. */
  open: boolean;
  written: boolean;
  /** v1 flow id when this event is the source of cause flows. */
  flow?: number;
  /** Envelope ids this event stands for (cause look-ups). */
  ids?: string[];
  /** Position in production order: a cause flow only runs forward in the file. */
  readonly seq: number;
}

/**
 * The trace's output window: events are written in the order they were produced, but the last
 * `capacity` of them are held so that (a) a log event can still gain a cause flow to the events
 * it causes, and (b) a slice that ends in the instant it began is rewritten as one zero-duration
 * `X` — Perfetto sorts an `E` before a `B` of the same timestamp, so a zero-length `B`/`E` pair
 * would close the parent instead. An open `B` of the current instant is never written (the window
 * grows past `capacity` for as long as that instant lasts), so (b) always holds.
 *
 * Cause flows are v1 flow records (`s` after the cause, `f` with `bp:"e"` after the effect), one
 * `s` per cause and one `f` per effect, so a cause fans out to all its effects and an effect can be
 * a cause in turn. A v2 `bind_id` is one per event: an event could not both end its cause's flow
 * and start its own without a "step", which would re-root its cause's later effects onto it.
 * Perfetto numbers v1 flows 0, 1, 2, … in the id space of v2 `bind_id`s, so job flows (v2) use
 * ids from 2^32 up.
 */
export class TraceQueue {
  private readonly window: Pending[] = [];
  private head = 0;
  private readonly nodes = new Map<string, Pending>();
  private nowNs = 0;
  private nextFlow = 1;
  private pushed = 0;
  /** Trace events written so far. */
  written = 0;
  /** v1 cause flows drawn so far. */
  flows = 0;

  constructor(
    private readonly emit: (e: TraceEvent) => void,
    private readonly capacity: number,
  ) {}

  /** The virtual time of the log event being rendered; never goes back. */
  advance(timeNs: number): void {
    this.nowNs = Math.max(this.nowNs, timeNs);
    this.drain(this.capacity);
  }

  /** Append a trace event at `tsNs` (a `B` is open until {@link end}). */
  push(event: TraceEvent, tsNs: number): Pending {
    const p: Pending = { event, tsNs, open: event.ph === "B", written: false, seq: this.pushed++ };
    this.window.push(p);
    this.drain(this.capacity);
    return p;
  }

  /**
   * Close a slice opened by `push` of a `B`. In the same instant and still held, the `B` becomes an
   * `X` of duration 0 carrying the end's args (and `rename`, when given); otherwise an `E` is appended.
   */
  end(slice: Pending, tsNs: number, args?: TraceArgs, rename?: string): void {
    const b = slice.event;
    slice.open = false;
    if (!slice.written && slice.tsNs === tsNs) {
      const { ph: _ph, name, args: bArgs, ...rest } = b;
      const merged = args === undefined ? bArgs : { ...bArgs, ...args };
      slice.event = { ph: "X", name: rename ?? name!, ...rest, dur: 0, ...(merged !== undefined ? { args: merged } : {}) };
      return;
    }
    this.push(
      {
        ph: "E",
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.cat !== undefined ? { cat: b.cat } : {}),
        pid: b.pid,
        tid: b.tid!,
        ts: usOf(tsNs),
        ...(args !== undefined ? { args } : {}),
      },
      tsNs,
    );
  }

  /** Rename a trace event not yet written (a slice whose name is known only later); false once written. */
  rename(p: Pending, name: string): boolean {
    if (p.written) return false;
    p.event.name = name;
    return true;
  }

  /** Make `p` the trace event that stands for log event `id`; the first one wins (returns whether `p` did). */
  register(id: string, p: Pending): boolean {
    if (p.written || this.nodes.has(id)) return false;
    this.nodes.set(id, p);
    (p.ids ??= []).push(id);
    return true;
  }

  /**
   * Draw a cause flow from the event standing for `causeId` to `effect`, when the cause is still
   * in the window and was produced before the effect. (An effect merged into an earlier trace
   * event — a register access joining the instant's MMIO burst after the IRQ that caused it —
   * would put the flow's `f` before its `s` in the file, which Perfetto drops as an end before
   * its start.) Returns whether a flow was drawn.
   */
  link(causeId: string | null, effect: Pending): boolean {
    if (causeId === null) return false;
    const cause = this.nodes.get(causeId);
    if (cause === undefined || cause === effect || effect.written || cause.seq > effect.seq) return false;
    if (cause.flow === undefined) {
      cause.flow = this.nextFlow++;
      (cause.trailing ??= []).push(flowRecord("s", cause.event, cause.flow));
    }
    (effect.trailing ??= []).push(flowRecord("f", effect.event, cause.flow));
    this.flows++;
    return true;
  }

  /** Write everything still held (end of the log). */
  flushAll(): void {
    this.drain(0, true);
  }

  private drain(limit: number, force = false): void {
    while (this.window.length - this.head > limit) {
      const p = this.window[this.head]!;
      if (!force && p.open && p.tsNs >= this.nowNs) break;
      this.head++;
      this.write(p);
    }
    if (this.head > 4096 && this.head * 2 > this.window.length) {
      this.window.splice(0, this.head);
      this.head = 0;
    }
  }

  private write(p: Pending): void {
    p.written = true;
    for (const id of p.ids ?? []) if (this.nodes.get(id) === p) this.nodes.delete(id);
    this.emit(p.event);
    this.written++;
    for (const t of p.trailing ?? []) {
      this.emit(t);
      this.written++;
    }
  }
}

/** A v1 flow end on the same track and timestamp as `at`. */
function flowRecord(ph: "s" | "f", at: TraceEvent, id: number): TraceEvent {
  return { ph, name: "cause", cat: "flow", pid: at.pid, tid: at.tid!, ts: at.ts, id, ...(ph === "f" ? { bp: "e" as const } : {}) };
}
