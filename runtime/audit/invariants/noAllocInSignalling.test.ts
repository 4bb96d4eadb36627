import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { noAllocInSignalling } from "./noAllocInSignalling.ts";
import type { Violation } from "./invariant.ts";
import { G610 } from "../../../test/support/auditRuns.ts";

let seq = 0;
/** A minimal envelope on `drv0.<path>` at `timeNs`. */
const ev = (type: string, path: string, timeNs: number, payload: unknown): Envelope =>
  ({ id: `drv0:${++seq}`, run: "t", seq, timeNs, depth: 0, source: "drv0", subject: `tyrsim.t.drv0.${path}`, type, cause: null, payload }) as Envelope;

const job = { file: 1, group: 2, queue: 0, job: "g2.q0.j1", fence: 3 };
const submitted = ev("JobSubmitted", "sched.job", 10, { file: 1, group: 2, queue: 0, job: "g2.q0.j1", seqno: 1, fence: 3, deps: [], credits: 10, streamAddr: 0x100000, streamSize: 24 });
const alloc = (gfp: string, mayReclaim: boolean, timeNs = 50) => ev("SignallingPathAllocated", "fence", timeNs, {
  thread: "group_sync_upd_work:g2", section: "group_sync_upd_work", site: "queue_check_job_completion: dma_fence_chain_alloc", gfp, bytes: 4096, mayReclaim, outcome: "deadlock", job,
});
const lockdep = (timeNs = 50) => ev("FenceSignallingViolation", "fence", timeNs, {
  kind: "reclaim-in-signalling-section", thread: "group_sync_upd_work:g2", section: "group_sync_upd_work", site: "x", lock: "fs_reclaim", chain: [], message: "m",
});

function check(events: readonly Envelope[]): Omit<Violation, "invariant">[] {
  const found: Omit<Violation, "invariant">[] = [];
  const c = noAllocInSignalling.create((v) => found.push(v), { model: G610 });
  for (const e of events) c.push(e);
  c.finish({ timeNs: 100, ended: true });
  return found;
}

describe("no-alloc-in-fence-signalling", () => {
  it("flags a reclaiming allocation inside a section, proven by the job's submission, the allocation and lockdep's report", () => {
    const a = alloc("GFP_KERNEL", true);
    const l = lockdep();
    const later = ev("IoctlCompleted", "ioctl.done", 60, {});
    const found = check([submitted, a, l, later]);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^group_sync_upd_work:g2 allocated 4096 bytes with GFP_KERNEL inside its fence-signalling section .* fence 3 of job g2\.q0\.j1; the allocation deadlocked in reclaim$/);
    expect(found[0]!.events.map((r) => r.id)).toEqual([submitted.id, a.id, l.id]);
    expect(found[0]).toMatchObject({ gpu: 0, timeNs: 50 });
  });

  it("accepts allocations that cannot reclaim (GFP_NOWAIT, GFP_ATOMIC)", () => {
    expect(check([submitted, alloc("GFP_NOWAIT", false), alloc("GFP_ATOMIC", false, 70)])).toEqual([]);
  });

  it("reports each reclaiming allocation once, and keeps a later instant's lockdep report out of the proof", () => {
    const found = check([submitted, alloc("GFP_KERNEL", true, 50), alloc("GFP_NOFS", true, 50), lockdep(80)]);
    expect(found).toHaveLength(2);
    expect(found.map((v) => v.events.map((r) => r.type))).toEqual([
      ["JobSubmitted", "SignallingPathAllocated"],
      ["JobSubmitted", "SignallingPathAllocated"],
    ]);
  });
});
