import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEmbedded } from "../../../runtime/embeddedRun.ts";
import { replayLog } from "../../../runtime/replay.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { registerName } from "../../../shared/gpu/registers.ts";
import { loadScenarioFile } from "../../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../catalogue.ts";
import { powerPaths } from "../../power/powerService.ts";
import { PowerSupplyFaultArmed } from "../../power/supplyEvents.ts";
import { DrmFileOpenRequested, IoctlIssued, VmActivationRequested } from "../uapi/uapiEvents.ts";
import { uapiPaths } from "../uapi/uapiPaths.ts";
import { SubmissionPending, SubmissionRetired, pmPaths } from "./pmEvents.ts";
import { createPmBench } from "./pmHarness.ts";

const MS = 1_000_000;
const pm = pmPaths(0);
const pay = <T>(e: Envelope | undefined) => e?.payload as T;

/** Energy the power controller has integrated so far. */
const joules = (b: ReturnType<typeof createPmBench>) => (b.sim.hosted().get("gpu0.pwr")!.behaviour.snapshot() as { energy: { totalJoules: number } }).energy.totalJoules;
const l2Ready = (b: ReturnType<typeof createPmBench>) => b.events("PowerDomainChanged").filter((e) => pay<{ domain: string }>(e).domain === "l2").map((e) => [e.timeNs, pay<{ ready: number }>(e).ready]);

describe("runtime PM", () => {
  it("suspends an idle GPU one autosuspend delay after probe: L2 off, clocks gated, no energy drawn", () => {
    // given a probed GPU nobody uses
    const b = createPmBench();
    // when 200 ms pass
    b.sim.run({ untilNs: 200 * MS });
    // then it suspended 50 ms after the probe's put_autosuspend, powering L2 down and gating the clocks
    const s = b.events("RuntimePmSuspended");
    expect(s).toHaveLength(1);
    expect(pay<{ atNs: number; idleNs: number; fast: boolean }>(s[0])).toMatchObject({ idleNs: expect.any(Number), fast: true });
    const registered = b.events("DrmDeviceRegistered")[0]!.timeNs;
    expect(s[0]!.timeNs).toBeGreaterThanOrEqual(registered + 50 * MS);
    expect(s[0]!.timeNs).toBeLessThan(registered + 51 * MS);
    expect(l2Ready(b).at(-1)![1]).toBe(0);
    expect(b.events("ClockStateChanged").slice(-3).map((e) => pay<{ clock: string; enabled: boolean }>(e))).toEqual([
      { clock: "coregroup", enabled: false }, { clock: "stacks", enabled: false }, { clock: "core", enabled: false },
    ]);
    expect(b.power().runtimePm).toMatchObject({ status: "suspended", usageCount: 0 });
    // and a suspended GPU draws nothing: the energy does not grow from 200 to 400 ms
    const at200 = joules(b);
    b.sim.run({ untilNs: 400 * MS });
    expect(joules(b)).toBe(at200);
  });

  it("resumes on a submission, clears it once ACTIVE, and suspends again 50 ms after it retired", () => {
    const b = createPmBench();
    b.sim.input("test", SubmissionPending, pm.submit, { tag: "a" }, 100 * MS);
    b.sim.input("test", SubmissionRetired, pm.submit, { tag: "a" }, 120 * MS);
    b.sim.run({ untilNs: 300 * MS });
    const story = b.events("RuntimePmSuspended", "RuntimePmResumed", "SubmissionCleared").map((e) => [e.type, Math.floor(e.timeNs / MS)]);
    expect(story).toEqual([["RuntimePmSuspended", 50], ["RuntimePmResumed", 100], ["SubmissionCleared", 100], ["RuntimePmSuspended", 170]]);
    const resumed = b.events("RuntimePmResumed")[0]!;
    expect(pay<{ latencyNs: number }>(resumed).latencyNs).toBeGreaterThan(0);
    expect(pay<{ ret: number }>(b.events("SubmissionCleared")[0])).toEqual({ tag: "a", ret: 0 });
    // and L2 was back on before the submission was cleared
    expect(l2Ready(b).filter(([t]) => t! >= 100 * MS && t! <= resumed.timeNs)).toEqual([[expect.any(Number), 1]]);
  });

  it("keeps the GPU up while work keeps coming within the delay (the timer is re-armed by activity)", () => {
    const b = createPmBench();
    for (let i = 0; i < 10; i++) {
      b.sim.input("test", SubmissionPending, pm.submit, { tag: `s${i}` }, (100 + 30 * i) * MS);
      b.sim.input("test", SubmissionRetired, pm.submit, { tag: `s${i}` }, (105 + 30 * i) * MS);
    }
    b.sim.run({ untilNs: 600 * MS });
    const story = b.events("RuntimePmSuspended", "RuntimePmResumed").map((e) => [e.type, Math.floor(e.timeNs / MS)]);
    // the last retire is at 375 ms: one resume, and the next suspend 50 ms after it
    expect(story).toEqual([["RuntimePmSuspended", 50], ["RuntimePmResumed", 100], ["RuntimePmSuspended", 425]]);
  });

  it("leaves a suspended GPU asleep for a VM_BIND that only edits page tables in RAM", () => {
    const b = createPmBench();
    const u = uapiPaths(0);
    b.sim.input("test", DrmFileOpenRequested, u.file, { client: "app", tag: "open" }, 10 * MS);
    b.sim.input("test", IoctlIssued, u.ioctl, { file: 1, ioctl: "BO_CREATE", args: { size: 8192 }, tag: "bo" }, 11 * MS);
    b.sim.input("test", IoctlIssued, u.ioctl, { file: 1, ioctl: "VM_CREATE", args: {}, tag: "vm" }, 12 * MS);
    const map = { vm_id: 1, flags: 0, ops: { stride: 48, count: 1, array: [{ flags: 0, bo_handle: 1, bo_offset: 0, va: 0x100000, size: 8192 }] } };
    b.sim.input("test", IoctlIssued, u.ioctl, { file: 1, ioctl: "VM_BIND", args: map, tag: "map" }, 100 * MS);
    b.sim.run({ untilNs: 200 * MS });
    expect(pay<{ ret: number }>(b.events("IoctlCompleted").find((e) => pay<{ tag: string }>(e).tag === "map"))).toMatchObject({ ret: 0 });
    expect(b.events("RuntimePmSuspended", "RuntimePmResumed").map((e) => e.type)).toEqual(["RuntimePmSuspended"]);
  });

  it("writes the suspend and resume registers in panthor_device_suspend/resume order", () => {
    // given a GPU running frames in a resident VM, then idle long enough to suspend, and a new burst
    const b = createPmBench({ load: { startNs: 5 * MS, periodNs: 10 * MS, framesPerBurst: 2, bursts: 2, pauseNs: 100 * MS, cycles: 1_000_000 } });
    b.sim.run({ untilNs: 300 * MS });
    const [suspended, resumed] = [b.events("RuntimePmSuspended")[0]!, b.events("RuntimePmResumed")[0]!];
    const suspendStart = suspended.timeNs - pay<{ latencyNs: number }>(suspended).latencyNs;
    const resumeStart = resumed.timeNs - pay<{ latencyNs: number }>(resumed).latencyNs;
    /** The driver's register writes (AS banks by their COMMAND only) and clock requests from `from` ns up to the event `end`. */
    const writes = (from: number, end: Envelope) =>
      b.sink.events
        .filter((e) => e.source === "drv0" && e.timeNs >= from && e.seq < end.seq && (e.type === "MmioWriteIssued" || e.type.startsWith("Clock")))
        .map((e) => (e.type === "MmioWriteIssued" ? registerName(pay<{ offset: number }>(e).offset) : `${e.type}(${pay<{ clock: string }>(e).clock})`))
        .filter((w) => !/^AS\d+\.(TRANSTAB|MEMATTR|TRANSCFG|LOCKADDR)/.test(w));
    const inOrder = (seen: string[], expected: string[]) => expect(expected.map((w) => seen.indexOf(w))).toEqual(expected.map((w) => seen.indexOf(w)).sort((x, y) => x - y));
    // then the suspend: firmware halted (GLB doorbell, job IRQ masked), the MMU (AS0 and AS1
    // disabled, IRQ masked), the cores then L2 off, the GPU IRQ masked, the clocks off
    const down = writes(suspendStart, suspended);
    const suspendOrder = [
      "CSF_DOORBELL(0)", "JOB_INT_MASK", "AS0.COMMAND", "AS1.COMMAND", "MMU_INT_MASK", "SHADER_PWROFF_LO", "L2_PWROFF_LO", "GPU_INT_MASK",
      "ClockDisableRequested(coregroup)", "ClockDisableRequested(stacks)", "ClockDisableRequested(core)",
    ];
    expect(down).toEqual(expect.arrayContaining(suspendOrder));
    inOrder(down, suspendOrder);
    expect(down.slice(down.indexOf("AS0.COMMAND"))).toEqual(suspendOrder.slice(2));
    // and the resume: the clocks, the GPU IRQ, coherency, L2 then the cores, the MMU IRQ, then the
    // firmware (AS0 again, MCU restarted)
    const up = writes(resumeStart, resumed);
    const resumeOrder = [
      "ClockEnableRequested(core)", "ClockEnableRequested(stacks)", "ClockEnableRequested(coregroup)",
      "GPU_INT_CLEAR", "GPU_INT_MASK", "GPU_COHERENCY_PROTOCOL", "L2_PWRON_LO", "SHADER_PWRON_LO", "MMU_INT_CLEAR", "MMU_INT_MASK",
    ];
    expect(up.slice(0, resumeOrder.length)).toEqual(resumeOrder);
    inOrder(up, ["MMU_INT_MASK", "AS0.COMMAND", "MCU_CONTROL"]);
    // and every frame completed
    expect(b.submitter!.behaviour.snapshot()).toMatchObject({ submitted: 4, completed: 4, faulted: 0 });
  });

  it("makes a VM resident only after the resume, so its AS is programmed with L2 powered", () => {
    const b = createPmBench();
    b.sim.input("test", DrmFileOpenRequested, uapiPaths(0).file, { client: "app", tag: "open" }, 10 * MS);
    b.sim.input("test", IoctlIssued, uapiPaths(0).ioctl, { file: 1, ioctl: "VM_CREATE", args: {}, tag: "vm" }, 11 * MS);
    b.sim.input("test", VmActivationRequested, uapiPaths(0).vm, { file: 1, vmId: 1 }, 100 * MS);
    b.sim.run({ untilNs: 120 * MS });
    const resumed = b.events("RuntimePmResumed")[0]!;
    const update = b.events("AsCommandIssued").find((e) => e.timeNs >= 100 * MS && pay<{ as: number }>(e).as === 1)!;
    expect(update.timeNs).toBeGreaterThanOrEqual(resumed.timeNs);
    expect(pay(b.events("VmActivated")[0])).toEqual({ file: 1, vmId: 1, as: 1 });
  });

  it("stays suspended and answers -errno when the core clock fails to resume; the next submission retries", () => {
    const b = createPmBench();
    b.sim.input("test", PowerSupplyFaultArmed, powerPaths(0).cmd, { target: "clock", name: "core", mode: "next-enable" }, 90 * MS);
    b.sim.input("test", SubmissionPending, pm.submit, { tag: "a" }, 100 * MS);
    b.sim.input("test", SubmissionPending, pm.submit, { tag: "b" }, 150 * MS);
    b.sim.run({ untilNs: 160 * MS });
    expect(b.events("RuntimePmResumeFailed").map((e) => pay(e))).toEqual([{ errno: -110, step: "clocks" }]);
    expect(b.events("SubmissionCleared").map((e) => pay(e))).toEqual([{ tag: "a", ret: -110 }, { tag: "b", ret: 0 }]);
    expect(b.power().runtimePm).toMatchObject({ status: "active", usageCount: 1 });
  });

  it("never suspends with runtime PM disabled (pm_runtime_forbid)", () => {
    const b = createPmBench({ power: { runtimePm: false } });
    b.sim.run({ untilNs: 300 * MS });
    expect(b.events("RuntimePmSuspended")).toHaveLength(0);
    expect(l2Ready(b).at(-1)![1]).toBe(1);
    expect(b.power().runtimePm).toMatchObject({ status: "active", usageCount: 1, enabled: false });
  });

  it("replays a run with suspends and resumes to the same log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-rpm-"));
    const file = join(dir, "rpm.yaml");
    writeFileSync(file, [
      "name: rpm",
      "description: autosuspend, a submission's resume, autosuspend again",
      "model: mali-g610-rk3588",
      "duration: 250ms",
      "steps:",
      "  - { at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }",
      "  - { at: 100ms, type: SubmissionPending, path: drv0.pm, payload: { tag: a } }",
      "  - { at: 120ms, type: SubmissionRetired, path: drv0.pm, payload: { tag: a } }",
      "",
    ].join("\n"));
    const loaded = loadScenarioFile(file, createCatalogue());
    const run = await runEmbedded({ loaded, outDir: dir });
    expect(run.actorFailures).toBe(0);
    const replay = await replayLog(run.log);
    expect(replay.divergence).toBeUndefined();
    expect(replay.events).toBe(run.events);
  });
});
