import { describe, expect, it } from "vitest";
import { FaultInjected } from "../services/faults/faultEvents.ts";
import { encode } from "../services/firmware/index.ts";
import { neg } from "../services/workload/drmClient.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { auditEvents, runAndAudit } from "./support/auditRuns.ts";
import { bootDrmDevice, G610, queueSubmit, submitArgs, type DrmTestDevice } from "./support/drmDevice.ts";
import { createGroup, mapBo, openClient, readU32, storeWords, streamAt, submitJob, type Client } from "./support/submitWorld.ts";

const MS = 1_000_000;
const OUT_VA = 0x80_0000;
const SPD_VA = 0x85_0000;
const stream = (i: number) => 0x10_0000 + i * 0x1_0000;
type Payload = Record<string, unknown>;
const payloads = (events: readonly Envelope[], type: string): Payload[] => events.filter((e) => e.type === type).map((e) => e.payload as Payload);

/** A compute job (SPD at `SPD_VA`, 4 × 64 invocations) then a store that does not touch the SRT register pair. */
const computeThenStore = (va: number, value: number): bigint[] => [
  encode.move48(16, SPD_VA), encode.move32(33, 63), encode.move32(37, 4), encode.move32(38, 1), encode.move32(39, 1), encode.runCompute(),
  encode.move32(48, value), encode.move48(50, va), encode.storeMultiple(48, 50, 0b1),
];

/** A stream stuck in a SYNC_WAIT on a word of `OUT_VA` nobody writes. */
const stuckWords = (): bigint[] => [encode.move48(2, OUT_VA + 0x100), encode.move32(4, 1), encode.syncWait32("GREATER", 2, 4)];

/** Every submitted job's fence signalled exactly once. */
function expectEveryFenceOnce(events: readonly Envelope[]): void {
  const submitted = payloads(events, "JobSubmitted").map((p) => `${p["file"]}/${p["job"]}`).sort();
  const signalled = payloads(events, "JobFenceSignalled").map((p) => `${p["file"]}/${p["job"]}`).sort();
  expect(signalled).toEqual(submitted);
}

/** Inject a fault into a test device now. */
function inject(dev: DrmTestDevice, payload: object): void {
  dev.sim.input("test", FaultInjected, INJECT_PATH, payload as never, dev.sim.scheduler.nowNs + 1);
}

/** Run the device's simulation `ns` further. */
function runFor(dev: DrmTestDevice, ns: number): void {
  dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + ns);
}

/** A client with a stream BO and a shader descriptor page mapped. */
function computeClient(dev: DrmTestDevice, name: string): Client & { out: number } {
  const c = openClient(dev, name);
  mapBo(c, SPD_VA);
  return { ...c, out: mapBo(c, OUT_VA) };
}

describe("hang recovery: a hung job, the job timeout and the GPU reset (scenarios/hang-recovery.yaml)", () => {
  it("recovers a hung job with a reset: the guilty group TIMEDOUT, the innocent group resumed and its work completed, every fence signalled", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/hang-recovery.yaml" });
    // the hung job's fence failed with -ETIMEDOUT 5 s after it reached the ring; every other fence without error
    const fences = payloads(events, "JobFenceSignalled");
    expect(fences.filter((f) => f["error"] !== 0)).toEqual([expect.objectContaining({ file: 1, group: 1, job: "g1.q0.j2", error: neg("ETIMEDOUT") })]);
    expectEveryFenceOnce(events);
    // the TERMINATE after the timeout went unanswered (a job on the cores): UNKNOWN state, then a reset
    expect(payloads(events, "GroupStateChanged")).toContainEqual(expect.objectContaining({ file: 1, group: 1, state: "unknown" }));
    expect(payloads(events, "ResetScheduled")).toEqual([expect.objectContaining({ reason: "csg-ack-timeout", file: 1, group: 1, queued: true })]);
    // the verdicts: the game guilty and TIMEDOUT, the ui innocent and resumed
    expect(payloads(events, "ResetGroupJudged")).toEqual([
      expect.objectContaining({ file: 1, group: 1, verdict: "guilty", flags: 1 }),
      expect.objectContaining({ file: 2, group: 1, verdict: "innocent-resumed", flags: 0 }),
    ]);
    // every step in panthor's order, all successful, the firmware cold-booted again
    expect(payloads(events, "ResetStepDone").map((s) => [s["step"], s["errno"]])).toEqual(
      ["sched-pre-reset", "fw-pre-reset", "mmu-pre-reset", "soft-reset", "l2-power", "mmu-post-reset", "fw-post-reset", "sched-post-reset"].map((s) => [s, 0]),
    );
    expect(payloads(events, "DeviceResetCompleted")).toEqual([expect.objectContaining({ guilty: 1, resumed: 1, lost: 0 })]);
    expect(payloads(events, "FirmwareBooted").map((b) => b["fast"]).slice(0, 2)).toEqual([false, false]);
    // the ui group came back with RESUME and finished the job it was in the middle of, then a compute job
    expect(payloads(events, "GroupStateChanged")).toContainEqual(expect.objectContaining({ file: 2, group: 1, state: "active", reason: "resumed" }));
    const ioctl = (file: number, tag: string) => payloads(events, "IoctlCompleted").find((p) => p["file"] === file && p["tag"] === tag);
    expect(ioctl(1, "game-3")?.["ret"]).toBe(neg("EINVAL"));
    expect(ioctl(1, "state")?.["out"]).toEqual({ state: 1, fatal_queues: 0 });
    expect(ioctl(2, "state")?.["out"]).toEqual({ state: 0, fatal_queues: 0 });
    expect(ioctl(2, "wait")?.["ret"]).toBe(0);
    const read = payloads(events, "BoCpuAccessCompleted").find((p) => p["tag"] === "readback")!;
    const bytes = Buffer.from(read["data"] as string, "base64");
    expect([0, 4, 8, 12].map((o) => bytes.readUInt32LE(o))).toEqual([0, 0xb1, 0xb2, 0xb4]);
    // the audit blames the job-hang fault for the hang and the timeout, and lists the recovery with its verdicts
    expect(report.invariants.violations).toEqual([]);
    const timedOut = report.failures.find((f) => f.kind === "job-timed-out");
    expect(timedOut?.summary).toContain("g1.q0.j2 (file 1 group 1 queue 0)");
    expect(timedOut?.cause?.kind).toBe("job-hang");
    expect(report.failures.find((f) => f.kind === "job-hung")?.cause?.confidence).toBe("causal");
    const steps = report.recovery.map((s) => s.summary);
    expect(steps).toContainEqual(expect.stringMatching(/^group 1 of file 1: guilty .*TIMEDOUT\)$/));
    expect(steps).toContainEqual(expect.stringMatching(/^group 1 of file 2: innocent-resumed/));
    expect(steps).toContainEqual(expect.stringMatching(/^reset completed in .* 1 guilty, 1 innocent resumed, 0 innocent lost; the GPU runs again$/));
  }, 60_000);
});

describe("job timeouts without a reset", () => {
  it("marks a group whose job times out TIMEDOUT and refuses its submissions with EINVAL while other groups carry on", () => {
    // given a group stuck in a SYNC_WAIT (nothing on the shader cores) and a healthy one
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const stuck = streamAt(c, stream(0), stuckWords());
    const store = streamAt(c, stream(1), storeWords(OUT_VA, 7));
    const bad = createGroup(c);
    const good = createGroup(c);
    const lost = submitJob(c, bad, 0, stream(0), stuck);
    expect(c.f.syncobjWait([submitJob(c, good, 0, stream(1), store)], { timeoutNs: 10 * MS }).ret).toBe(0);
    // when the stuck job's 5 s run out
    expect(c.f.syncobjWait([lost], { timeoutNs: 5100 * MS }).ret).toBe(0);
    runFor(dev, 200 * MS);
    // then the group is TIMEDOUT, its fence failed, its submissions are refused
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: bad }).out).toEqual({ state: 1, fatal_queues: 0 });
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(bad, [queueSubmit(0, stream(1), store)])).ret).toBe(neg("EINVAL"));
    // and the slot left cleanly (TERMINATE acknowledged): no reset; the other group still runs work
    expect(payloads(dev.sink.events, "GroupStateChanged")).toContainEqual(expect.objectContaining({ group: bad, state: "terminated", reason: "timed out" }));
    expect(dev.events("ResetScheduled")).toEqual([]);
    const again = streamAt(c, stream(2), storeWords(OUT_VA + 4, 8));
    expect(c.f.syncobjWait([submitJob(c, good, 0, stream(2), again)], { timeoutNs: 10 * MS }).ret).toBe(0);
    expect([readU32(c, out), readU32(c, out, 4)]).toEqual([7, 8]);
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: good }).out).toEqual({ state: 0, fatal_queues: 0 });
    expect(payloads(dev.sink.events, "JobFenceSignalled").map((f) => [f["group"], f["error"]])).toEqual([[good, 0], [bad, neg("ETIMEDOUT")], [good, 0]]);
  }, 60_000);
});

describe("the firmware watchdog (panthor_fw_ping_work)", () => {
  it("pings every 12 s, and a missed ping resets the GPU: firmware reloaded, pings answered again, new work runs", () => {
    // given a device kept powered (runtime PM off) whose firmware ignores pings from now on
    const dev = bootDrmDevice(G610, { power: { runtimePm: false } });
    const c = computeClient(dev, "app");
    const size = streamAt(c, stream(0), computeThenStore(OUT_VA, 0x600d));
    const g = createGroup(c);
    inject(dev, { fault: { kind: "firmware-ping-ignored", gpu: 0 } });
    // when the first ping comes due, 12 s after the global interface was initialised
    runFor(dev, 12_200 * MS);
    const glbInit = dev.events("GlbRequestsAcked")[0]!.timeNs;
    const [timeout] = dev.events("FwPingTimedOut");
    // then it goes unanswered for 100 ms and the watchdog schedules a reset, which reloads the firmware
    expect(timeout!.timeNs - glbInit).toBeGreaterThanOrEqual(12_100 * MS);
    expect(timeout!.timeNs - glbInit).toBeLessThan(12_101 * MS);
    expect(payloads(dev.sink.events, "ResetScheduled")).toEqual([expect.objectContaining({ reason: "fw-ping-timeout", queued: true })]);
    expect(payloads(dev.sink.events, "DeviceResetCompleted")).toEqual([expect.objectContaining({ reason: "fw-ping-timeout", guilty: 0, lost: 0 })]);
    expect(payloads(dev.sink.events, "FirmwareBooted").map((b) => b["fast"])).toEqual([false, false]);
    // and work submitted afterwards runs on the reloaded firmware
    expect(c.f.syncobjWait([submitJob(c, g, 0, stream(0), size)], { timeoutNs: 50 * MS }).ret).toBe(0);
    expect(readU32(c, c.out)).toBe(0x600d);
    // and the next ping, 12 s after the reset, is acknowledged: no second timeout
    const reloaded = dev.events("DeviceResetCompleted")[0]!.timeNs;
    runFor(dev, reloaded + 12_200 * MS - dev.sim.scheduler.nowNs);
    const pings = payloads(dev.sink.events, "GlbRequestsAcked").filter((p) => (p["requests"] as string[]).includes("PING"));
    expect(pings).toHaveLength(1);
    expect(dev.events("FwPingTimedOut")).toHaveLength(1);
  }, 60_000);

  it("does not ping a runtime-suspended GPU", () => {
    // given an idle device that autosuspends 50 ms after probe
    const dev = bootDrmDevice();
    runFor(dev, 13_000 * MS);
    // then the 12 s ping never went out and nothing was reset
    expect(dev.events("RuntimePmSuspended").length).toBeGreaterThan(0);
    expect(payloads(dev.sink.events, "GlbRequestsAcked").some((p) => (p["requests"] as string[]).includes("PING"))).toBe(false);
    expect(dev.events("FwPingTimedOut", "ResetScheduled")).toEqual([]);
  }, 60_000);
});

describe("a reset that cannot complete", () => {
  it("ends in a reported fatal state when the soft reset of the recovery never completes: every group terminated, every fence signalled", () => {
    // given a group with a job parked in a SYNC_WAIT, a firmware ignoring pings and a soft reset that will stick
    const dev = bootDrmDevice(G610, { power: { runtimePm: false } });
    const c = openClient(dev, "app");
    mapBo(c, OUT_VA);
    const stuck = streamAt(c, stream(0), stuckWords());
    const g = createGroup(c);
    inject(dev, { fault: { kind: "firmware-ping-ignored", gpu: 0 } });
    inject(dev, { fault: { kind: "reset-stuck", gpu: 0 } });
    runFor(dev, 8_000 * MS);
    const waiting = submitJob(c, g, 0, stream(0), stuck);
    // when the watchdog's reset runs at 12.1 s (before the job's own 5 s timeout)
    runFor(dev, 4_300 * MS);
    // then the soft reset times out after 100 ms and the reset ends in DeviceResetFailed with -ETIMEDOUT
    const steps = payloads(dev.sink.events, "ResetStepDone");
    expect(steps.at(-1)).toEqual(expect.objectContaining({ step: "soft-reset", errno: neg("ETIMEDOUT") }));
    expect(payloads(dev.sink.events, "DeviceResetFailed")).toEqual([expect.objectContaining({ reason: "fw-ping-timeout", step: "soft-reset", errno: neg("ETIMEDOUT") })]);
    expect(dev.events("DeviceResetCompleted")).toEqual([]);
    // and no group is left alive: the innocent one was suspended, then terminated with the device (-ECANCELED)
    expect(payloads(dev.sink.events, "ResetGroupJudged")).toEqual([expect.objectContaining({ group: g, verdict: "innocent-resumed" })]);
    expect(payloads(dev.sink.events, "GroupStateChanged").at(-1)).toEqual(expect.objectContaining({ group: g, state: "terminated", reason: "device reset failed" }));
    expect(c.f.syncobjWait([waiting], { timeoutNs: 0 }).ret).toBe(0);
    expect(payloads(dev.sink.events, "JobFenceSignalled").map((f) => f["error"])).toEqual([neg("ECANCELED")]);
    expectEveryFenceOnce(dev.sink.events);
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(g, [queueSubmit(0, stream(0), stuck)])).ret).toBe(neg("EINVAL"));
    const late = createGroup(c);
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(late, [queueSubmit(0, stream(0), stuck)])).ret).toBe(0);
    runFor(dev, 10 * MS);
    expect(payloads(dev.sink.events, "GroupStateChanged").filter((p) => p["group"] === late && p["state"] === "active")).toEqual([]);
    // and the audit holds "every reset ends with the GPU running or a reported fatal state", blaming reset-stuck
    const report = auditEvents(dev.sink.events);
    expect(report.invariants.violations).toEqual([]);
    expect(report.failures.find((f) => f.kind === "reset-failed")?.cause?.kind).toBe("reset-stuck");
  }, 60_000);
});

describe("the firmware watchdog scenario (scenarios/fw-watchdog.yaml)", () => {
  it("resets the GPU after the ignored ping, resumes the innocent group and runs the work submitted afterwards", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/fw-watchdog.yaml" });
    const [timedOut] = events.filter((e) => e.type === "FwPingTimedOut");
    const ping = events.find((e) => e.type === "FaultApplied" && (e.payload as Payload)["kind"] === "firmware-ping-ignored")!;
    // 100 ms after the driver rang the doorbell (the firmware left the ping unanswered a doorbell pass later)
    expect(timedOut!.timeNs - ping.timeNs).toBeGreaterThan(99.9 * MS);
    expect(timedOut!.timeNs - ping.timeNs).toBeLessThanOrEqual(100 * MS);
    expect(payloads(events, "ResetGroupJudged")).toEqual([expect.objectContaining({ file: 1, group: 1, verdict: "innocent-resumed", flags: 0 })]);
    expect(payloads(events, "DeviceResetCompleted")).toEqual([expect.objectContaining({ reason: "fw-ping-timeout", guilty: 0, resumed: 1, lost: 0 })]);
    expect(payloads(events, "JobFenceSignalled").map((f) => f["error"])).toEqual([0, 0]);
    const read = payloads(events, "BoCpuAccessCompleted").find((p) => p["tag"] === "readback")!;
    const bytes = Buffer.from(read["data"] as string, "base64");
    expect([bytes.readUInt32LE(0), bytes.readUInt32LE(4)]).toEqual([1, 2]);
    expect(report.invariants.violations).toEqual([]);
    expect(report.failures.find((f) => f.kind === "firmware-watchdog")?.cause?.kind).toBe("firmware-ping-ignored");
    expect(report.recovery.map((s) => s.summary)).toContainEqual(expect.stringMatching(/^reset scheduled: fw-ping-timeout/));
  }, 60_000);
});

describe("a firmware crash", () => {
  it("is found by the next tick's unanswered STATUS_UPDATE; groups that cannot suspend are lost INNOCENT | TIMEDOUT; the rebooted firmware runs new work", () => {
    // given an idle resident group on a powered device, and a firmware that crashes
    const dev = bootDrmDevice(G610, { power: { runtimePm: false } });
    const c = computeClient(dev, "app");
    const size = streamAt(c, stream(0), computeThenStore(OUT_VA, 0xc0de));
    const victim = createGroup(c);
    expect(c.f.syncobjWait([submitJob(c, victim, 0, stream(0), size)], { timeoutNs: 50 * MS }).ret).toBe(0);
    inject(dev, { fault: { kind: "firmware-crash", gpu: 0 } });
    // when the scheduler's next tick asks the resident slot for its status
    runFor(dev, 500 * MS);
    // then the reset cannot suspend the group (the firmware answers nothing): innocent, lost, TIMEDOUT | INNOCENT
    expect(dev.events("FirmwareCrashed")).toHaveLength(1);
    expect(payloads(dev.sink.events, "ResetScheduled")[0]).toEqual(expect.objectContaining({ reason: "csg-status-timeout" }));
    expect(payloads(dev.sink.events, "ResetGroupJudged")).toEqual([expect.objectContaining({ group: victim, verdict: "innocent-lost", flags: 1 | 4 })]);
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: victim }).out).toEqual({ state: 5, fatal_queues: 0 });
    expect(c.f.ioctl("GROUP_SUBMIT", submitArgs(victim, [queueSubmit(0, stream(0), size)])).ret).toBe(neg("EINVAL"));
    // and the rebooted firmware runs a new group's work
    expect(payloads(dev.sink.events, "DeviceResetCompleted")).toEqual([expect.objectContaining({ guilty: 0, resumed: 0, lost: 1 })]);
    const fresh = createGroup(c);
    const size2 = streamAt(c, stream(1), computeThenStore(OUT_VA + 4, 0xbeef));
    expect(c.f.syncobjWait([submitJob(c, fresh, 0, stream(1), size2)], { timeoutNs: 50 * MS }).ret).toBe(0);
    expect([readU32(c, c.out), readU32(c, c.out, 4)]).toEqual([0xc0de, 0xbeef]);
    expectEveryFenceOnce(dev.sink.events);
  }, 60_000);
});
