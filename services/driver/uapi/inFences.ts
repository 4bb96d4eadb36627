import type { DmaFence } from "../../fence/index.ts";
import type { SyncobjStore } from "./syncobj.ts";
import { isSignalOp, type SyncOp } from "./syncOps.ts";

/**
 * The in-fences of each job of one ioctl (GROUP_SUBMIT, async VM_BIND), as Panthor's submit
 * context collects them (`panthor_submit_ctx_collect_jobs_signal_ops`,
 * `panthor_submit_ctx_add_deps_and_arm_jobs`): a wait on a syncobj point that an earlier job of
 * the same call signals depends on that job (`earlier(index)`, the caller's handle on it); any
 * other wait resolves the file's syncobj point now. Unknown handle → ENOENT; no fence at that
 * point → EINVAL.
 */
export function collectInFences<T>(
  syncobjs: SyncobjStore,
  fileId: number,
  nowNs: number,
  jobs: readonly { readonly syncs: readonly SyncOp[] }[],
  earlier: (index: number) => T,
): { readonly ok: true; readonly waits: (DmaFence | T)[][] } | { readonly ok: false; readonly errno: "ENOENT" | "EINVAL" } {
  const waits: (DmaFence | T)[][] = [];
  const signalledBy = new Map<string, number>();
  for (const [i, job] of jobs.entries()) {
    const mine: (DmaFence | T)[] = [];
    for (const s of job.syncs.filter((x) => !isSignalOp(x))) {
      const j = signalledBy.get(`${s.handle}:${s.timeline_value}`);
      if (j !== undefined) {
        mine.push(earlier(j));
        continue;
      }
      const obj = syncobjs.lookup(fileId, s.handle);
      if (obj === undefined) return { ok: false, errno: "ENOENT" };
      const f = syncobjs.fenceAt(obj, s.timeline_value, nowNs);
      if (f === undefined) return { ok: false, errno: "EINVAL" };
      mine.push(f);
    }
    waits.push(mine);
    for (const s of job.syncs.filter(isSignalOp)) signalledBy.set(`${s.handle}:${s.timeline_value}`, i);
  }
  return { ok: true, waits };
}
