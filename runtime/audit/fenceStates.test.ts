import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { editLog, runLogged, type LoggedRun } from "../../test/support/auditRuns.ts";
import { auditLogFile } from "./audit.ts";
import { formatAudit } from "./formatAudit.ts";

const fenceOf = (e: Envelope) => (e.payload as { fence?: number }).fence;
const jobOf = (e: Envelope) => (e.payload as { job?: string }).job;

describe("jobs still pending at the end of a log", () => {
  let submit: LoggedRun;
  beforeAll(async () => {
    submit = await runLogged({ file: "scenarios/submit.yaml" });
  }, 60_000);

  it("lists none for a run whose fences all signalled", () => {
    expect(auditLogFile(submit.log).pendingJobs).toEqual({ jobs: [], more: 0 });
  });

  it("shows a job waiting on a fence that never signalled, and the chain to the job on the ring that blocks it", () => {
    // given the submit log cut so that fence 1 (job g1.q0.j1) never signals: job g1.q1.j1 waits on it and never reaches its ring
    const log = editLog(submit.log, (es) => es.filter((e) => !(e.type === "JobFenceSignalled" && (fenceOf(e) === 1 || fenceOf(e) === 2)) && !(e.type === "JobRingWritten" && jobOf(e) === "g1.q1.j1")));
    // when it is audited
    const r = auditLogFile(log);
    // then both jobs are pending, the second waiting on the first, which is on its ring
    const jobs = r.pendingJobs.jobs.map((j) => ({ fence: j.fence.fence, status: j.fence.status, deps: j.deps.map((d) => [d.fence, d.status]), chain: j.chain.map((f) => f.fence) }));
    expect(jobs).toEqual([
      { fence: 1, status: "on-ring", deps: [], chain: [1] },
      { fence: 2, status: "waiting", deps: [[1, "on-ring"]], chain: [2, 1] },
    ]);
    // its group's state is the one the driver reported last
    expect(r.pendingJobs.jobs[0]!.fence.groupState).toBe("destroyed");
    // and the text report and the timeline say so
    expect(formatAudit(r)).toContain("chain: fence 2 (g1.q1.j1, waiting for its dependencies) ← fence 1 (g1.q0.j1, on the ring)");
    const queue = r.timeline.lanes.find((l) => l.id === "gpu0.queue.1/1/0");
    expect(queue?.marks.map((m) => [m.kind, m.endNs])).toEqual([["fence-pending", null]]);
  });
});
