import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { ERRNO } from "../shared/gpu/errno.ts";
import { GPU_CONTROL as G, MCU_STATUS } from "../shared/gpu/registers.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { FaultInjected } from "../services/faults/faultEvents.ts";
import { GLB } from "../services/firmware/index.ts";
import type { AuditReport } from "../runtime/audit/auditReport.ts";
import { auditEvents, find, firmwareRun, runAndAudit } from "./support/auditRuns.ts";
import { US } from "./support/firmwareDriver.ts";
import { publish, read, sleep } from "./support/scriptedDriver.ts";

const MS = 1_000_000;
const of = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type).map((e) => e.payload as Record<string, unknown>);
const idOf = (events: readonly Envelope[], label: string) => find(events, "FaultInjected", (p) => p["label"] === label).id;
/** The failure of `kind` the audit lists, with the fault it names as its cause. */
const blamed = (r: AuditReport, kind: string) => r.failures.filter((f) => f.kind === kind).map((f) => [f.cause?.fault, f.cause?.confidence]);

const probeScenario = (extra = "") => ["name: probe-faults", "duration: 20ms", "supplies: off", "steps:", "  - { at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }", extra].join("\n");
const fault = (label: string, f: Record<string, unknown>, atNs: number, trigger?: unknown) => ({ atNs, type: "FaultInjected", payload: { label, fault: f, ...(trigger ? { trigger } : {}) } });

describe("injected job faults (scenarios/job-faults.yaml)", () => {
  it("hangs the named job — it starts and never completes — and the audit blames the job-hang fault", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/job-faults.yaml" });
    expect(of(events, "JobStarted").find((p) => p["job"] === "hang-1")).not.toHaveProperty("durationNs");
    expect(of(events, "JobCompleted").map((p) => p["job"])).toEqual(["ok-1", "ok-3"]);
    expect(blamed(report, "job-hung")).toEqual([[idOf(events, "hang-1 never completes"), "causal"]]);
  });

  it("faults the 3rd job halfway through its run with reason injected, and the audit blames the shader-fault", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/job-faults.yaml" });
    const started = find(events, "JobStarted", (p) => p["job"] === "ok-2");
    const faulted = find(events, "JobFaulted", (p) => p["job"] === "ok-2");
    expect(faulted.payload).toMatchObject({ reason: "injected" });
    expect(faulted.timeNs - started.timeNs).toBe((started.payload as { durationNs: number }).durationNs / 2);
    expect(blamed(report, "job-faulted")).toEqual([[idOf(events, "shader core faults under the 3rd job"), "causal"]]);
    expect(report.verdict.likelyCause?.fault).toBe(idOf(events, "hang-1 never completes"));
  });
});

describe("injected MMU faults (scenarios/mmu-fault.yaml)", () => {
  it("gives the 2nd job of AS1 a translation fault and the tool's job a permission fault, both handled by the driver and blamed on their faults", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/mmu-fault.yaml" });
    expect(of(events, "AsFaultRaised").map((p) => [p["as"], p["exceptionName"], p["faultAddress"], p["job"]])).toEqual([
      [1, "TRANSLATION_FAULT_0", 0xdead_0000_0000, "app-2"],
      [2, "PERM_FAULT_3", 0x10_0000, "tool-1"],
    ]);
    expect(of(events, "MmuFaultHandled").map((p) => [p["as"], p["file"], p["vmId"]])).toEqual([[1, 1, 1], [2, 2, 1]]);
    const translation = idOf(events, "unmapped read by the 2nd job of AS1");
    const permission = idOf(events, "write to a read-only page");
    expect(blamed(report, "mmu-fault")).toEqual([[translation, "causal"], [permission, "causal"]]);
    expect(blamed(report, "job-faulted")).toEqual([[translation, "causal"], [permission, "causal"]]);
    expect(report.verdict.likelyCause?.chain.map((r) => r.type)).toEqual(["FaultInjected", "FaultApplied", "TranslationRequested", "AsFaultRaised"]);
  });
});

describe("injected interrupt faults", () => {
  it("loses the MMU interrupt: the AS faults are never handled, and the audit blames the irq-lost fault", async () => {
    const lost = fault("MMU IRQ lost", { kind: "irq-lost", line: "mmu" }, 1400 * US);
    const { events, report } = await runAndAudit({ file: "scenarios/mmu-fault.yaml" }, [lost]);
    expect(of(events, "IrqLineChanged").filter((p) => p["line"] === "mmu")).toEqual([]);
    expect(of(events, "MmuFaultHandled")).toEqual([]);
    const id = find(events, "FaultInjected", (p) => p["label"] === "MMU IRQ lost").id;
    expect(blamed(report, "mmu-fault-unhandled")).toEqual([[id, "correlated"], [id, "correlated"]]);
  });

  it("raises MMU bits nobody set: the driver handles a fault no access raised, and the audit blames the irq-spurious fault", async () => {
    const spurious = fault("spurious AS0 bit", { kind: "irq-spurious", line: "mmu", bits: 1 }, 5 * MS);
    const { events, report } = await runAndAudit({ text: probeScenario() }, [spurious]);
    expect(of(events, "IrqLineChanged")).toContainEqual({ line: "mmu", asserted: true, status: 1 });
    expect(of(events, "MmuFaultHandled")).toEqual([expect.objectContaining({ as: 0, faultStatus: 0 })]);
    expect(blamed(report, "spurious-mmu-interrupt")).toEqual([[find(events, "FaultInjected").id, "causal"]]);
  });
});

describe("injected reset, clock and regulator faults at probe", () => {
  it("never completes the probe's soft reset: the driver times out with -ETIMEDOUT and the audit blames reset-stuck", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/reset-stuck.yaml" });
    expect(of(events, "GpuSoftResetCompleted")).toEqual([]);
    expect(of(events, "DeviceProbeFailed")).toEqual([{ step: "soft-reset", errno: -ERRNO.ETIMEDOUT }]);
    expect(blamed(report, "probe-failed")).toEqual([[idOf(events, "soft reset never completes"), "correlated"]]);
    expect(report.invariants.violations).toEqual([]);
  });

  it("fails the core clock's enable at probe with -ETIMEDOUT, and the audit follows the chain to the probe failure", async () => {
    const clock = fault("core PLL does not lock", { kind: "supply-failure", target: "clock", name: "core" }, 0);
    const { events, report } = await runAndAudit({ text: probeScenario() }, [clock]);
    expect(of(events, "DeviceProbeFailed")).toEqual([{ step: "clocks", errno: -ERRNO.ETIMEDOUT }]);
    const id = find(events, "FaultInjected").id;
    expect(blamed(report, "probe-failed")).toEqual([[id, "causal"]]);
    expect(report.failures.find((f) => f.kind === "probe-failed")?.cause?.chain.map((r) => r.type)).toEqual([
      "FaultInjected", "FaultApplied", "ClockEnableFailed", "ProbeStepFailed",
    ]);
  });

  it("still honours the older PowerSupplyFaultArmed and names it as the cause (scenarios/probe-failures.yaml)", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/probe-failures.yaml" });
    const armed = find(events, "PowerSupplyFaultArmed").id;
    expect(of(events, "FaultApplied")).toEqual([expect.objectContaining({ fault: armed, kind: "supply-failure" })]);
    expect(blamed(report, "probe-failed")).toEqual([[armed, "causal"]]);
    expect(report.recovery.map((s) => s.summary)).toContain("probe retried: the DRM device registered");
  });
});

describe("injected power and memory faults (scenarios/power-faults.yaml)", () => {
  it("pins the GPU at its lowest OPP and refuses 1 GHz with reason dvfs-stuck", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/power-faults.yaml" });
    expect(of(events, "FrequencyChanged").map((p) => p["hz"])).toEqual([600_000_000, 300_000_000]);
    expect(of(events, "FrequencyChangeRejected")).toEqual([{ hz: 1_000_000_000, reason: "dvfs-stuck" }]);
    expect(blamed(report, "dvfs-refused")).toEqual([[idOf(events, "DVFS stuck"), "causal"]]);
  });

  it("fails the mali regulator's next enable at resume with -EIO, the retry succeeding", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/power-faults.yaml" });
    expect(of(events, "RegulatorEnableFailed")).toEqual([{ name: "mali", errno: -ERRNO.EIO }]);
    expect(of(events, "RegulatorStateChanged").filter((p) => p["regulator"] === "mali").map((p) => p["enabled"])).toEqual([false, true]);
    expect(blamed(report, "supply-failed")).toEqual([[idOf(events, "mali rail fails at resume"), "causal"]]);
  });

  it("takes 256 MiB of system RAM away as MemoryPressureApplied", async () => {
    const { events, report } = await runAndAudit({ file: "scenarios/power-faults.yaml" });
    expect(of(events, "MemoryPressureApplied")).toEqual([{ bytes: 256 << 20, takenBytes: 256 << 20, availableBytes: 8 * 2 ** 30 - (256 << 20) }]);
    expect(blamed(report, "memory-pressure")).toEqual([[idOf(events, "256 MiB taken"), "causal"]]);
  });
});

describe("injected firmware faults (firmware bench)", () => {
  const inject = (f: Record<string, unknown>, trigger?: unknown) => publish(FaultInjected, INJECT_PATH, { fault: { kind: f["kind"] as never, gpu: 0, ...f } as never, ...(trigger ? { trigger: trigger as never } : {}) });

  it("crashes the firmware: MCU_STATUS FATAL, pings unanswered, and the audit blames firmware-crash", () => {
    let status = 0;
    let pinged = true;
    const { sink } = firmwareRun(function* (_w, h) {
      yield* inject({ kind: "firmware-crash" });
      yield* sleep(1 * US);
      status = yield* read(G.MCU_STATUS);
      pinged = yield* h.glbToggle(GLB.PING);
    });
    expect([status, pinged]).toEqual([MCU_STATUS.FATAL, false]);
    const r = auditEvents(sink.events);
    expect(blamed(r, "firmware-crashed")).toEqual([[find(sink.events, "FaultInjected").id, "causal"]]);
    expect(r.invariants.violations).toEqual([]);
  });

  it("stops answering pings after the 2nd doorbell: the ping goes unacknowledged, and the audit blames firmware-ping-ignored", () => {
    const acked: boolean[] = [];
    const { sink } = firmwareRun(function* (_w, h) {
      yield* inject({ kind: "firmware-ping-ignored" }, { on: { eventType: "DoorbellRung", count: 2 } });
      acked.push(yield* h.glbToggle(GLB.PING));
      acked.push(yield* h.glbToggle(GLB.PING));
    });
    expect(acked).toEqual([true, false]);
    expect(of(sink.events, "GlbRequestsIgnored")).toEqual([{ requests: ["PING"], reason: "ping-ignored" }]);
    expect(blamed(auditEvents(sink.events), "firmware-unresponsive")).toEqual([[find(sink.events, "FaultInjected").id, "causal"]]);
  });
});

describe("faults an actor cannot apply", () => {
  it("rejects a supply fault naming a clock the model lacks with FaultRejected, and changes nothing else", async () => {
    const turbo = fault("no such clock", { kind: "supply-failure", target: "clock", name: "turbo" }, 0);
    const { events, report } = await runAndAudit({ text: probeScenario() }, [turbo]);
    expect(of(events, "FaultRejected")).toEqual([expect.objectContaining({ kind: "supply-failure", reason: "the GPU model has no clock 'turbo'" })]);
    expect(of(events, "DrmDeviceRegistered")).toHaveLength(1);
    expect(report.faults[0]?.outcome).toBe("rejected");
  });

  it("reports a fault for a GPU the world does not have as taken by no actor", async () => {
    const { report } = await runAndAudit({ text: probeScenario() }, [fault("gpu 3", { kind: "dvfs-stuck", gpu: 3 }, 0)]);
    expect(report.faults.map((f) => f.outcome)).toEqual(["not-taken"]);
  });
});
