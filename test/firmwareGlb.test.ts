import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { GPU_CONTROL as G, MCU_STATUS } from "../shared/gpu/registers.ts";
import { FirmwareFaultInjected } from "../services/firmware/firmwareEvents.ts";
import { firmwarePaths } from "../services/firmware/firmwarePaths.ts";
import { GLB, GLB_HALT_STATUS, updateReqs } from "../services/firmware/index.ts";
import { GLB_INPUT, GLB_OUTPUT } from "../services/firmware/interfaces.ts";
import { MS, US, ringDoorbell, startMcu } from "./support/firmwareDriver.ts";
import { bootFirmware, bringUpGpu, fwBench, type FwWorld } from "./support/fwBench.ts";
import type { FwHost } from "./support/fwHost.ts";
import { enableAs, powerOn, softReset, type Steps } from "./support/gpuBringUp.ts";
import { now, poll, publish, read, sleep } from "./support/scriptedDriver.ts";

const G610 = loadGpuModel("mali-g610-rk3588");

/** Boot the firmware and initialise GLB, then run `then`; returns the facts after the init and the bench. */
function runGlb(then: (w: FwWorld, h: FwHost) => Steps) {
  let from = 0;
  const bench = fwBench(G610, function* (w) {
    yield* bringUpGpu(w);
    const h = (yield* bootFirmware(w))!;
    yield* sleep(10 * US);
    from = yield* now();
    yield* then(w, h);
  });
  bench.run();
  const after = bench.sink.events.filter((e) => e.timeNs >= from);
  const facts = (...types: string[]) => after.filter((e) => types.includes(e.type)).map((e) => [e.timeNs - from, e.type, e.payload]);
  return { ...bench, from, after, facts };
}

/** An injected firmware fault, on the firmware's own inject subject or on the run's `fault.inject`. */
const inject = (kind: "crash" | "ignore-ping", path = firmwarePaths(0).inject) => publish(FirmwareFaultInjected, path, { gpu: 0, kind });
const glbEvents = ["GlbRequestsAcked", "GlbRequestsIgnored", "McuStatusChanged", "FirmwareBooted", "FirmwareCrashed"];
const jobIrqs = (events: readonly Envelope[]) => events.filter((e) => e.type === "IrqRaised").map((e) => (e.payload as { bits: number }).bits);

describe("global interface: request/acknowledge toggles (panthor_fw_glb_wait_acks)", () => {
  it("acknowledges a PING, raising GLOBAL_IF because PING is in ack_irq_mask", () => {
    const acked: boolean[] = [];
    const { facts, after } = runGlb(function* (_w, h) {
      acked.push(yield* h.glbToggle(GLB.PING));
    });
    expect(acked).toEqual([true]);
    expect(facts(...glbEvents)).toEqual([[2 * US, "GlbRequestsAcked", { requests: ["PING"], ack: expect.any(Number), irq: true }]]);
    expect(jobIrqs(after)).toEqual([0x8000_0000]);
  });

  it("acknowledges COUNTER_EN (a config bit) and FWCFG_UPDATE without an interrupt: neither is in ack_irq_mask", () => {
    let ok = false;
    let ack = 0;
    const { facts, after } = runGlb(function* (_w, h) {
      yield* h.map.write32(h.glb.input + GLB_INPUT.offsets.req, updateReqs(h.glbReq(), GLB.COUNTER_EN, GLB.COUNTER_EN));
      ok = yield* h.glbToggle(GLB.FWCFG_UPDATE);
      ack = h.glbAck();
    });
    expect(ok).toBe(true);
    expect(ack & GLB.COUNTER_EN).toBe(GLB.COUNTER_EN);
    expect(facts("GlbRequestsAcked")).toEqual([[2 * US, "GlbRequestsAcked", { requests: ["COUNTER_EN", "FWCFG_UPDATE"], ack, irq: false }]]);
    expect(jobIrqs(after)).toEqual([]);
  });

  it("answers a request made while a previous one is still pending in the pass already due; a re-toggled PING stays one request", () => {
    let ok = false;
    const { facts } = runGlb(function* (_w, h) {
      // given a PING toggled and the doorbell rung
      yield* h.glbToggle(GLB.PING, false);
      // when 1 µs later, still unanswered, PING is toggled again with CFG_ALLOC_EN and the doorbell rung again
      yield* sleep(1 * US);
      ok = yield* h.glbToggle(GLB.PING | GLB.CFG_ALLOC_EN);
    });
    // then the pass due 2 µs after the first doorbell, which the second one joined, acknowledges both
    expect(ok).toBe(true);
    expect(facts("GlbRequestsAcked", "DoorbellRung")).toEqual([
      [0, "DoorbellRung", { doorbell: 0 }],
      [1 * US, "DoorbellRung", { doorbell: 0 }],
      [2 * US, "GlbRequestsAcked", { requests: ["CFG_ALLOC_EN", "PING"], ack: expect.any(Number), irq: true }],
    ]);
  });

  it("halts on GLB_HALT (MCU_STATUS HALT) and restarts fast on MCU_CONTROL, keeping its interfaces", () => {
    let halted = 0;
    let restart: { booted: boolean; status: number } | undefined;
    let pinged = false;
    const { facts } = runGlb(function* (_w, h) {
      // when the driver requests HALT (panthor_fw_halt) and polls MCU_STATUS
      yield* h.map.write32(h.glb.input + GLB_INPUT.offsets.req, updateReqs(h.glbReq(), GLB.HALT, GLB.HALT));
      yield* ringDoorbell(0);
      halted = yield* poll(G.MCU_STATUS, (v) => v === MCU_STATUS.HALT, 10 * US, 100 * MS);
      // and then does panthor_fw_post_reset()'s fast path: clear the HALT request, MCU_CONTROL = AUTO
      yield* h.map.write32(h.glb.input + GLB_INPUT.offsets.req, updateReqs(h.glbReq(), 0, GLB.HALT));
      restart = yield* startMcu();
      pinged = yield* h.glbToggle(GLB.PING);
    });
    expect(halted).toBe(MCU_STATUS.HALT);
    expect(restart).toMatchObject({ booted: true, status: MCU_STATUS.ENABLED });
    expect(pinged).toBe(true);
    expect(facts(...glbEvents).map(([, type, p]) => [type, p])).toEqual([
      ["GlbRequestsAcked", expect.objectContaining({ requests: ["HALT"] })],
      ["McuStatusChanged", { status: MCU_STATUS.HALT }],
      ["McuStatusChanged", { status: MCU_STATUS.ENABLED }],
      ["FirmwareBooted", expect.objectContaining({ fast: true })],
      // the cleared HALT bit is copied without effect, with the PING
      ["GlbRequestsAcked", expect.objectContaining({ requests: ["HALT", "PING"] })],
    ]);
  });

  it("forgets everything on a GPU soft reset and boots again from its image when the driver re-enables AS0 and the MCU", () => {
    let boot: { booted: boolean; status: number } | undefined;
    let reinit = false;
    const { facts } = runGlb(function* (w, h) {
      // when the driver does panthor_device_reset_work(): soft reset, L2 on, AS0 re-enabled, MCU started, GLB re-initialised
      yield* softReset();
      yield* powerOn(G.L2_PWRON_LO, G.L2_READY_LO, 1);
      yield* enableAs(0, w.mcuVm, w.model);
      boot = yield* startMcu();
      reinit = yield* h.initGlobal(w.model);
    });
    // then the MCU booted cold (the interfaces rewritten) and answered the new GLB init
    expect(boot).toMatchObject({ booted: true, status: MCU_STATUS.ENABLED });
    expect(reinit).toBe(true);
    expect(facts(...glbEvents).map(([, type, p]) => [type, type === "FirmwareBooted" ? (p as { fast: boolean }).fast : (p as { requests?: string[] }).requests ?? p])).toEqual([
      ["McuStatusChanged", { status: MCU_STATUS.ENABLED }],
      ["FirmwareBooted", false],
      ["GlbRequestsAcked", ["CFG_PROGRESS_TIMER", "CFG_ALLOC_EN", "CFG_POWEROFF_TIMER", "IDLE_EN"]],
    ]);
  });

  it("leaves unsupported requests pending and reports them once", () => {
    const ok: boolean[] = [];
    const { facts } = runGlb(function* (_w, h) {
      ok.push(yield* h.glbToggle(GLB.PERFCNT_SAMPLE));
      ok.push(yield* h.glbToggle(GLB.PING));
    });
    expect(ok).toEqual([false, true]);
    expect(facts("GlbRequestsAcked", "GlbRequestsIgnored").map(([t, type, p]) => [t, type, (p as { requests: string[] }).requests])).toEqual([
      [2 * US, "GlbRequestsIgnored", ["PERFCNT_SAMPLE"]],
      [100 * MS + 2 * US, "GlbRequestsAcked", ["PING"]],
    ]);
  });
});

describe("ping watchdog and firmware faults", () => {
  it("stops answering pings after an injected fault: the driver's 12 s ping gets no ack within 100 ms, other requests still do", () => {
    const ok: boolean[] = [];
    let waited = 0;
    const { facts } = runGlb(function* (_w, h) {
      ok.push(yield* h.glbToggle(GLB.PING)); // the first ping_work
      yield* inject("ignore-ping");
      yield* sleep(12_000 * MS); // PING_INTERVAL_MS
      const t = yield* now();
      ok.push(yield* h.glbToggle(GLB.PING)); // "FW ping timeout, scheduling a reset"
      waited = (yield* now()) - t;
      ok.push(yield* h.glbToggle(GLB.CFG_ALLOC_EN));
    });
    expect(ok).toEqual([true, false, true]);
    expect(waited).toBe(100 * MS);
    expect(facts("GlbRequestsAcked", "GlbRequestsIgnored", "FirmwareFaultInjected").map(([, type, p]) => [type, (p as { requests?: string[] }).requests ?? p])).toEqual([
      ["GlbRequestsAcked", ["PING"]],
      ["FirmwareFaultInjected", { gpu: 0, kind: "ignore-ping" }],
      ["GlbRequestsIgnored", ["PING"]],
      ["GlbRequestsAcked", ["CFG_ALLOC_EN"]],
    ]);
  });

  it("crashes on an injected fault: MCU_STATUS FATAL, halt_status PANIC, and nothing is acknowledged any more", () => {
    let status = 0;
    let pinged = true;
    let haltStatus = 0;
    const { facts } = runGlb(function* (_w, h) {
      yield* inject("crash", INJECT_PATH);
      yield* sleep(1 * US);
      status = yield* read(G.MCU_STATUS);
      haltStatus = h.map.read32(h.glb.output + GLB_OUTPUT.offsets.halt_status);
      pinged = yield* h.glbToggle(GLB.PING);
    });
    expect([status, haltStatus, pinged]).toEqual([MCU_STATUS.FATAL, GLB_HALT_STATUS.ON_PANIC, false]);
    expect(facts(...glbEvents).map(([t, type, p]) => [t, type, p])).toEqual([
      [0, "McuStatusChanged", { status: MCU_STATUS.FATAL }],
      [0, "FirmwareCrashed", { reason: "injected", haltStatus: GLB_HALT_STATUS.ON_PANIC }],
    ]);
  });
});
