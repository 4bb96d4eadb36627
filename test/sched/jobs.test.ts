import { describe, expect, it } from "vitest";
import { encode } from "../../services/firmware/index.ts";
import { neg } from "../../services/workload/drmClient.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { bootDrmDevice, queueSubmit, submitArgs, SYNC, type DrmTestDevice } from "../support/drmDevice.ts";
import { createGroup, loopWords, mapBo, openClient, readU32, storeWords, streamAt, submitJob } from "../support/submitWorld.ts";

const MS = 1_000_000;
const OUT_VA = 0x80_0000;
const stream = (i: number) => 0x10_0000 + i * 0x1_0000;
type Signalled = { job: string; seqno: number; error: number; group: number; queue: number };
const signalled = (dev: DrmTestDevice) => dev.events("JobFenceSignalled").map((e) => e.payload as Signalled);
const jobOf = (e: Envelope) => (e.payload as { job: string }).job;

/** Every submitted job's fence signalled exactly once (dma-fence: one signal, in seqno order per queue). */
function expectEveryFenceOnce(dev: DrmTestDevice): void {
  const submitted = dev.events("JobSubmitted").map(jobOf);
  const done = dev.events("JobFenceSignalled").map(jobOf);
  expect([...done].sort()).toEqual([...submitted].sort());
  const byQueue = new Map<string, number[]>();
  for (const s of signalled(dev)) byQueue.set(`${s.group}/${s.queue}`, [...(byQueue.get(`${s.group}/${s.queue}`) ?? []), s.seqno]);
  for (const seqnos of byQueue.values()) expect(seqnos).toEqual([...seqnos].sort((a, b) => a - b));
}

describe("jobs, dependencies and fences", () => {
  it("runs a job that waits on another queue's job only after that job finished", () => {
    // given a group with two queues: queue 0 runs a ~2 ms loop then stores 1; queue 1 stores 2 at the same place
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const slow = streamAt(c, stream(0), loopWords(50_000, OUT_VA, 1));
    const fast = streamAt(c, stream(1), storeWords(OUT_VA, 2));
    const g = createGroup(c, {}, 2);
    // when queue 1's job waits on queue 0's out-syncobj
    const first = submitJob(c, g, 0, stream(0), slow);
    const second = submitJob(c, g, 1, stream(1), fast, [first]);
    expect(c.f.syncobjWait([second], { timeoutNs: 100 * MS }).ret).toBe(0);
    // then it was written to its ring only after the first job's fence signalled, and its store came last
    const ringed = dev.events("JobRingWritten").find((e) => (e.payload as { queue: number }).queue === 1)!;
    const firstDone = dev.events("JobFenceSignalled").find((e) => (e.payload as { queue: number }).queue === 0)!;
    expect(ringed.seq).toBeGreaterThan(firstDone.seq);
    expect(readU32(c, out)).toBe(2);
    expect((dev.events("JobSubmitted")[1]!.payload as { deps: number[] }).deps).toEqual([(firstDone.payload as { fence: number }).fence]);
    expectEveryFenceOnce(dev);
  });

  it("runs a job whose dependency signalled (JQ-03), holds one whose dependency has not (JQ-04) with the ready jobs behind it (JQ-06), and runs them once it signals (JQ-05)", () => {
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const first = streamAt(c, stream(0), storeWords(OUT_VA, 7));
    const second = streamAt(c, stream(1), storeWords(OUT_VA + 4, 8));
    const spin = streamAt(c, stream(2), [encode.nop(), encode.branch("ALWAYS", 0, -2)]);
    const g = createGroup(c);
    // a signalled dependency: the out-fence of a sync-point job on an idle group
    const idle = createGroup(c);
    const gate = c.f.syncobjCreate();
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(idle, [queueSubmit(0, 0, 0, [{ flags: SYNC.SIGNAL, handle: gate }])])).ret).toBe(0);
    expect(c.f.syncobjWait([gate], { timeoutNs: 1 * MS }).ret).toBe(0);
    const a = submitJob(c, g, 0, stream(0), first, [gate]);
    expect(c.f.syncobjWait([a], { timeoutNs: 10 * MS }).ret).toBe(0);
    expect(readU32(c, out)).toBe(7);
    // a dependency that does not signal: the out-fence of a job spinning on another group
    const spinner = createGroup(c);
    const spinning = submitJob(c, spinner, 0, stream(2), spin);
    const b = submitJob(c, g, 0, stream(1), second, [spinning]);
    const d = submitJob(c, g, 0, stream(0), first);
    dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + 5 * MS);
    expect(c.f.syncobjWait([b], { timeoutNs: 0 }).ret).toBe(neg("ETIME"));
    expect(c.f.syncobjWait([d], { timeoutNs: 0 }).ret).toBe(neg("ETIME"));
    expect(readU32(c, out, 4)).toBe(0);
    // when the dependency signals (its group destroyed: -ECANCELED), both run, in submission order
    expect(c.f.ioctl("GROUP_DESTROY", { group_handle: spinner }).ret).toBe(0);
    expect(c.f.syncobjWait([b, d], { flags: 1, timeoutNs: 10 * MS }).ret).toBe(0);
    expect(readU32(c, out, 4)).toBe(8);
    expect(signalled(dev).filter((x) => x.group === g).map((x) => [x.seqno, x.error])).toEqual([[1, 0], [2, 0], [3, 0]]);
    expectEveryFenceOnce(dev);
  });

  it("waits for ring credits when more jobs are queued than a 4 KiB ring holds (JQ-07), and completes them all in order (JQ-11)", () => {
    // given a 4 KiB ring (512 credits: 32 jobs of 16 words) and 40 jobs submitted at once
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    mapBo(c, OUT_VA);
    const size = streamAt(c, stream(0), loopWords(200, OUT_VA, 1));
    const g = createGroup(c);
    const jobs = Array.from({ length: 40 }, (_, i) => ({ ...queueSubmit(0, stream(0), size), i }));
    const last = c.f.syncobjCreate();
    const r = c.f.ioctl("GROUP_SUBMIT", submitArgs(g, jobs.map((j, i) => (i === 39 ? queueSubmit(0, stream(0), size, [{ flags: SYNC.SIGNAL, handle: last }]) : j))));
    expect(r.ret).toBe(0);
    // then at most 32 were ever on the ring at once, and all 40 fences signalled in seqno order
    expect(c.f.syncobjWait([last], { timeoutNs: 100 * MS }).ret).toBe(0);
    let onRing = 0;
    let most = 0;
    for (const e of dev.sink.events) {
      if (e.type === "JobRingWritten") most = Math.max(most, ++onRing);
      if (e.type === "JobFenceSignalled") onRing--;
    }
    expect(most).toBe(32);
    expect(signalled(dev).map((s) => s.seqno)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expectEveryFenceOnce(dev);
  });

  it("marks a group FATAL_FAULT on a CS fatal error: its fence fails with -EINVAL, later submits get -EINVAL, other groups carry on", () => {
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const bad = streamAt(c, stream(0), [encode.nop(), 0x0a00_0000_0000_0000n]);
    const good = streamAt(c, stream(1), storeWords(OUT_VA, 5));
    const broken = createGroup(c);
    const fine = createGroup(c);
    const failed = submitJob(c, broken, 0, stream(0), bad);
    expect(c.f.syncobjWait([failed], { timeoutNs: 50 * MS }).ret).toBe(0);
    expect(signalled(dev).find((s) => s.group === broken)?.error).toBe(neg("EINVAL"));
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: broken }).out).toEqual({ state: 2, fatal_queues: 1 });
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(broken, [queueSubmit(0, stream(1), good)])).ret).toBe(neg("EINVAL"));
    expect(dev.events("QueueFaultReported").map((e) => (e.payload as { exceptionName: string }).exceptionName)).toEqual(["CS_INSTR_INVALID"]);
    const ok = submitJob(c, fine, 0, stream(1), good);
    expect(c.f.syncobjWait([ok], { timeoutNs: 50 * MS }).ret).toBe(0);
    expect(readU32(c, out)).toBe(5);
    expectEveryFenceOnce(dev);
  });

  it("times a job out after 5 s on its slot: TIMEDOUT, its fence -ETIMEDOUT, the group refuses new jobs", () => {
    // given a job stuck in a SYNC_WAIT on a value nobody will write
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    mapBo(c, OUT_VA);
    const stuck = streamAt(c, stream(0), [encode.move48(2, OUT_VA), encode.move32(4, 1), encode.syncWait32("GREATER", 2, 4)]);
    const g = createGroup(c);
    const out = submitJob(c, g, 0, stream(0), stuck);
    // when 5 s pass
    expect(c.f.syncobjWait([out], { timeoutNs: 6000 * MS }).ret).toBe(0);
    // then the fence failed with -ETIMEDOUT about 5 s after the job reached the ring, and the group is TIMEDOUT
    const s = signalled(dev)[0]!;
    expect(s.error).toBe(neg("ETIMEDOUT"));
    const ringed = dev.events("JobRingWritten")[0]!.timeNs;
    const done = dev.events("JobFenceSignalled")[0]!.timeNs;
    expect(done - ringed).toBeGreaterThanOrEqual(5000 * MS);
    expect(done - ringed).toBeLessThan(5100 * MS);
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: g }).out).toEqual({ state: 1, fatal_queues: 0 });
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(g, [queueSubmit(0, stream(0), stuck)])).ret).toBe(neg("EINVAL"));
    expectEveryFenceOnce(dev);
  });
});

describe("the drm_sched mode", () => {
  it("routes the same submissions through a drm_gpu_scheduler per queue with the same results", () => {
    const run = (scheduler: "jobqueue" | "drm_sched") => {
      const dev = bootDrmDevice(undefined, { scheduler });
      const c = openClient(dev, "app");
      const out = mapBo(c, OUT_VA);
      const slow = streamAt(c, stream(0), loopWords(20_000, OUT_VA, 1));
      const fast = streamAt(c, stream(1), storeWords(OUT_VA + 4, 2));
      const g = createGroup(c, {}, 2);
      const a = submitJob(c, g, 0, stream(0), slow);
      const b = submitJob(c, g, 1, stream(1), fast, [a]);
      expect(c.f.syncobjWait([b], { timeoutNs: 100 * MS }).ret).toBe(0);
      expectEveryFenceOnce(dev);
      return { values: [readU32(c, out), readU32(c, out, 4)], jobs: signalled(dev).map((s) => [s.group, s.queue, s.seqno, s.error]), dev };
    };
    const jq = run("jobqueue");
    const ds = run("drm_sched");
    expect(ds.values).toEqual([1, 2]);
    expect(ds.jobs).toEqual(jq.jobs);
    expect(ds.dev.events("ProbeStepCompleted").find((e) => (e.payload as { step: string }).step === "sched")?.payload).toMatchObject({ detail: expect.stringContaining("drm_sched") });
  });
});
