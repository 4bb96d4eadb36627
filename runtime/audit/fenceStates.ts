import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { GroupDestroyed, GroupStateChanged, JobFenceSignalled, JobRingWritten, JobSubmitted } from "../../services/driver/sched/schedEvents.ts";
import { gpuOf, refOf, type EventRef } from "./eventRef.ts";

/** Where a job fence stands: its job waits for dependencies or credits, is on its ring, or the fence signalled (with an error or not). */
export type FenceStatus = "waiting" | "on-ring" | "signalled" | "signalled-error";

/** A job fence as the audit saw it last: its job, queue and group, status and the event that set it. */
export interface FenceState {
  readonly fence: number;
  readonly job: string;
  readonly file: number;
  readonly group: number;
  readonly queue: number;
  readonly status: FenceStatus;
  /** The fence's error when it signalled with one (-ETIMEDOUT, -EINVAL, -ECANCELED). */
  readonly error?: number;
  /** The group's state then: `active on CSG 0`, `suspended`, `terminated (timedout)`, … */
  readonly groupState: string;
  readonly at: EventRef;
}

/** A job whose fence had not signalled when the log ended, with what it waits for. */
export interface PendingJob {
  readonly gpu: number;
  readonly fence: FenceState;
  readonly submitted: EventRef;
  /** Its direct dependencies (in-fences), in submission order. */
  readonly deps: readonly FenceState[];
  /** From this job to what blocks it: each step the first dependency not signalled yet, until one whose own dependencies all signalled. */
  readonly chain: readonly FenceState[];
}

/** How many pending jobs a report lists. */
export const MAX_PENDING_JOBS = 50;

/** The event types the fold reads. */
const READ: ReadonlySet<string> = new Set([JobSubmitted, JobRingWritten, JobFenceSignalled, GroupStateChanged, GroupDestroyed].map((d) => d.type));

interface Rec {
  fence: number; job: string; file: number; group: number; queue: number; deps: readonly number[];
  status: FenceStatus; error?: number; at: EventRef; submitted: EventRef;
}

/**
 * Every job fence's state folded from the driver's scheduler events (`JobSubmitted` with its
 * in-fences, `JobRingWritten`, `JobFenceSignalled`) and its group's state (`GroupStateChanged`),
 * so the report can say, for each job still pending at the end of the log, what it waits for: its
 * dependencies' fence states and the chain of unsignalled dependencies down to the job that blocks
 * them all. One small record per fence of the log.
 */
export class FenceStates {
  private readonly fences = new Map<string, Rec>();
  private readonly byJob = new Map<string, string>();
  private readonly groups = new Map<string, string>();

  /** Look at one event of the log. */
  push(e: Envelope): void {
    if (!READ.has(e.type)) return;
    const gpu = gpuOf(e) ?? 0;
    if (EventRegistry.is(JobSubmitted, e)) {
      const p = e.payload;
      this.fences.set(`${gpu}/${p.fence}`, { fence: p.fence, job: p.job, file: p.file, group: p.group, queue: p.queue, deps: p.deps, status: "waiting", at: refOf(e), submitted: refOf(e) });
      this.byJob.set(`${gpu}/${p.file}/${p.group}/${p.queue}/${p.seqno}`, `${gpu}/${p.fence}`);
    } else if (EventRegistry.is(JobRingWritten, e)) {
      const p = e.payload;
      const key = `${gpu}/${p.file}/${p.group}/${p.queue}/${p.seqno}`;
      const r = this.fences.get(this.byJob.get(key) ?? "");
      this.byJob.delete(key);
      if (r !== undefined && r.status === "waiting") Object.assign(r, { status: "on-ring", at: refOf(e) });
    } else if (EventRegistry.is(JobFenceSignalled, e)) {
      const r = this.fences.get(`${gpu}/${e.payload.fence}`);
      if (r !== undefined) Object.assign(r, { status: e.payload.error === 0 ? "signalled" : "signalled-error", at: refOf(e), ...(e.payload.error !== 0 ? { error: e.payload.error } : {}) });
    } else if (EventRegistry.is(GroupStateChanged, e)) {
      const p = e.payload;
      this.groups.set(`${gpu}/${p.file}/${p.group}`, `${p.state}${p.csg !== undefined && p.state === "active" ? ` on CSG ${p.csg}` : ""}${p.reason !== "" && p.state !== "active" ? ` (${p.reason})` : ""}`);
    } else if (EventRegistry.is(GroupDestroyed, e)) {
      this.groups.set(`${gpu}/${e.payload.file}/${e.payload.group}`, "destroyed");
    }
  }

  /** The jobs whose fences are still pending, oldest first (at most {@link MAX_PENDING_JOBS}), and how many more. */
  pending(): { jobs: PendingJob[]; more: number } {
    const open = [...this.fences.entries()].filter(([, r]) => r.status === "waiting" || r.status === "on-ring");
    const jobs = open.slice(0, MAX_PENDING_JOBS).map(([key, r]) => {
      const gpu = Number(key.split("/")[0]);
      const deps = r.deps.map((d) => this.state(gpu, d)).filter((s) => s !== undefined);
      const chain = [this.state(gpu, r.fence)!];
      const seen = new Set([r.fence]);
      for (let cur = r; ;) {
        const next = cur.deps.map((d) => this.fences.get(`${gpu}/${d}`)).find((x) => x !== undefined && (x.status === "waiting" || x.status === "on-ring") && !seen.has(x.fence));
        if (next === undefined) break;
        seen.add(next.fence);
        chain.push(this.state(gpu, next.fence)!);
        cur = next;
      }
      return { gpu, fence: this.state(gpu, r.fence)!, submitted: r.submitted, deps, chain };
    });
    return { jobs, more: open.length - jobs.length };
  }

  private state(gpu: number, fence: number): FenceState | undefined {
    const r = this.fences.get(`${gpu}/${fence}`);
    if (r === undefined) return undefined;
    return {
      fence: r.fence, job: r.job, file: r.file, group: r.group, queue: r.queue, status: r.status, ...(r.error !== undefined ? { error: r.error } : {}),
      groupState: this.groups.get(`${gpu}/${r.file}/${r.group}`) ?? "created", at: r.at,
    };
  }
}
