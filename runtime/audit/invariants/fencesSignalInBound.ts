import { EventRegistry } from "../../../shared/events/registry.ts";
import { JOB_TIMEOUT_NS } from "../../../services/driver/sched/groupCreate.ts";
import { GroupCreated, GroupDestroyed, GroupStateChanged, JobFenceSignalled, JobRingWritten, JobSubmitted } from "../../../services/driver/sched/schedEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/**
 * What recovery may add to a job's 5 s timeout before its fence must have signalled: the
 * immediate tick that terminates the timed-out group, a CSG SUSPEND and then TERMINATE not acked
 * (100 ms each, panthor.md §4.7), a soft reset (100 ms), L2 power-up (20 ms), the firmware's boot
 * wait (1000 ms, §3.7) and a 10 ms tick of slack: 1.33 s, rounded up to 1.5 s.
 */
export const FENCE_RECOVERY_ALLOWANCE_NS = 1_500_000_000;

/**
 * The bound of a job fence once its job is the oldest unfinished one on its ring: the job
 * timeout counted over its group's CSG-slot time (`JOB_TIMEOUT_MS`, panthor.md §4.5) plus
 * {@link FENCE_RECOVERY_ALLOWANCE_NS}.
 */
export const FENCE_BOUND_NS = JOB_TIMEOUT_NS + FENCE_RECOVERY_ALLOWANCE_NS;

/**
 * A group's slot clock: virtual time counted while the group is on a CSG slot (`active`), or
 * dead (`terminated`, `unknown`, destroyed — its fences must then come promptly whatever the
 * slots do); stopped while it waits for a slot (`created`, `suspended`).
 */
class SlotClock {
  private acc = 0;
  private since: number | undefined;
  /** When the group died, for the recovery-only bound of its pending fences. */
  deadAt: { timeNs: number; ref: EventRef } | undefined;

  set(running: boolean, nowNs: number): void {
    if (running && this.since === undefined) this.since = nowNs;
    else if (!running && this.since !== undefined) {
      this.acc += nowNs - this.since;
      this.since = undefined;
    }
  }

  /** Slot time counted up to `nowNs`. */
  at(nowNs: number): number {
    return this.acc + (this.since === undefined ? 0 : nowNs - this.since);
  }
}

/** A fence not signalled yet. */
interface PendingFence {
  readonly key: string;
  readonly group: string;
  readonly submitted: EventRef;
  readonly label: string;
  ring?: EventRef;
  /** Slot time of its group when the job became the oldest unfinished one on its ring. */
  headAt?: number;
}

/**
 * Every job fence signals within its bound (DESIGN.md §6: "every job fence signals in bounded
 * time, with an error if the job was lost"). The clock of a fence starts when its job is on the
 * ring (`JobRingWritten`) and is the oldest unfinished job there (panthor restarts the queue's
 * timeout on every completion), and runs only while its group is on a CSG slot (the per-queue
 * timeout counts slot time); it must signal within {@link FENCE_BOUND_NS} of that clock. Once a
 * group is terminated or destroyed every fence it still holds, on the ring or not, must signal
 * within {@link FENCE_RECOVERY_ALLOWANCE_NS} of virtual time. A job still waiting for its
 * dependencies is not timed (its dependencies have bounds of their own; a wait on a syncobj only
 * userspace signals is unbounded in the kernel too). A fence still pending when the log ends is a
 * violation only once it is older than its bound — a run that just ends mid-job is not.
 *
 * Simplified: panthor's exception that keeps a blocked, idle group's timer running off-slot is
 * not modelled (such a wait looks bounded by slot time here, i.e. looser); a late signal is
 * reported when it comes, not at the instant the bound passed.
 */
export const fencesSignalInBound: InvariantDef = {
  name: "fences-signal-in-bound",
  statement: `every job fence signals within ${FENCE_BOUND_NS / 1e9} s of slot time once its job heads the ring, or ${FENCE_RECOVERY_ALLOWANCE_NS / 1e9} s after its group died`,
  reads: [GroupCreated, GroupDestroyed, GroupStateChanged, JobFenceSignalled, JobRingWritten, JobSubmitted],
  create(report) {
    const clocks = new Map<string, SlotClock>();
    const pending = new Map<string, PendingFence>();
    /** Per queue, its ring-written unfinished fences in ring order. */
    const rings = new Map<string, PendingFence[]>();
    const byJob = new Map<string, string>();
    const clock = (g: string) => clocks.get(g) ?? clocks.set(g, new SlotClock()).get(g)!;

    const overdue = (f: PendingFence, nowNs: number): string | undefined => {
      const c = clock(f.group);
      if (c.deadAt !== undefined && nowNs - c.deadAt.timeNs > FENCE_RECOVERY_ALLOWANCE_NS) {
        return `${(nowNs - c.deadAt.timeNs) / 1e6} ms after its group died (allowance ${FENCE_RECOVERY_ALLOWANCE_NS / 1e6} ms)`;
      }
      if (f.headAt !== undefined && c.at(nowNs) - f.headAt > FENCE_BOUND_NS) {
        return `${(c.at(nowNs) - f.headAt) / 1e6} ms of slot time after its job headed the ring (bound ${FENCE_BOUND_NS / 1e6} ms)`;
      }
      return undefined;
    };
    const proof = (f: PendingFence) => [f.submitted, ...(f.ring !== undefined ? [f.ring] : []), ...(clock(f.group).deadAt !== undefined ? [clock(f.group).deadAt!.ref] : [])];

    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(JobSubmitted, e)) {
          const p = e.payload;
          const key = `${gpu}/${p.fence}`;
          const f: PendingFence = { key, group: `${gpu}/${p.file}/${p.group}`, submitted: refOf(e), label: `fence ${p.fence} of job ${p.job} (file ${p.file}, group ${p.group}, queue ${p.queue})` };
          pending.set(key, f);
          byJob.set(`${gpu}/${p.file}/${p.group}/${p.queue}/${p.seqno}`, key);
        } else if (EventRegistry.is(JobRingWritten, e)) {
          const p = e.payload;
          const jobKey = `${gpu}/${p.file}/${p.group}/${p.queue}/${p.seqno}`;
          const f = pending.get(byJob.get(jobKey) ?? "");
          byJob.delete(jobKey);
          if (f === undefined) return;
          f.ring = refOf(e);
          const q = `${gpu}/${p.file}/${p.group}/${p.queue}`;
          const ring = rings.get(q) ?? rings.set(q, []).get(q)!;
          if (ring.length === 0) f.headAt = clock(f.group).at(e.timeNs);
          ring.push(f);
        } else if (EventRegistry.is(JobFenceSignalled, e)) {
          const p = e.payload;
          const f = pending.get(`${gpu}/${p.fence}`);
          if (f === undefined) return;
          const late = overdue(f, e.timeNs);
          if (late !== undefined) report({ message: `${f.label} signalled (error ${p.error}) ${late}`, timeNs: e.timeNs, gpu, events: [...proof(f), refOf(e)] });
          pending.delete(f.key);
          byJob.delete(`${gpu}/${p.file}/${p.group}/${p.queue}/${p.seqno}`);
          const q = `${gpu}/${p.file}/${p.group}/${p.queue}`;
          const ring = rings.get(q);
          const at = ring?.indexOf(f) ?? -1;
          if (ring !== undefined && at >= 0) {
            ring.splice(at, 1);
            // Progress: the next job's clock starts now (queue_reset_timeout_locked).
            if (at === 0 && ring[0] !== undefined) ring[0].headAt = clock(f.group).at(e.timeNs);
            if (ring.length === 0) rings.delete(q);
          }
        } else if (EventRegistry.is(GroupCreated, e)) {
          // A new group (its handle may be a destroyed one's): a fresh, stopped clock.
          clocks.set(`${gpu}/${e.payload.file}/${e.payload.group}`, new SlotClock());
        } else if (EventRegistry.is(GroupStateChanged, e)) {
          const c = clock(`${gpu}/${e.payload.file}/${e.payload.group}`);
          const dead = e.payload.state === "terminated" || e.payload.state === "unknown";
          c.set(dead || e.payload.state === "active", e.timeNs);
          if (dead && c.deadAt === undefined) c.deadAt = { timeNs: e.timeNs, ref: refOf(e) };
        } else if (EventRegistry.is(GroupDestroyed, e)) {
          const c = clock(`${gpu}/${e.payload.file}/${e.payload.group}`);
          c.set(true, e.timeNs);
          if (c.deadAt === undefined) c.deadAt = { timeNs: e.timeNs, ref: refOf(e) };
        }
      },
      finish(end) {
        for (const f of pending.values()) {
          const late = overdue(f, end.timeNs);
          if (late === undefined) continue;
          const gpu = Number(f.key.split("/")[0]);
          report({ message: `${f.label} is still pending when the log ends, ${late}`, timeNs: end.timeNs, gpu, events: proof(f) });
        }
      },
    };
  },
};
