import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import type { GpuModel } from "../shared/gpu/model.ts";
import { JOB_INT_GLOBAL_IF, MCU_STATUS } from "../shared/gpu/registers.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { encode } from "../services/firmware/index.ts";
import { MS, US, startMcu } from "./support/firmwareDriver.ts";
import { VA, bootFirmware, bringUpGpu, fwBench, startGroup, submitJobs, writeStream } from "./support/fwBench.ts";
import { fwStory } from "./support/fwStory.ts";

const G610 = loadGpuModel("mali-g610-rk3588");
const STREAM_A = VA.streams;
const STREAM_B = VA.streams + 0x1000;
const DEADBEEF = 0xdead_beef;

/** Stream A: a compute job of 4 workgroups × 64 invocations, then — once it finished — SYNC_SET64 [link] = 1. */
const streamA = [
  encode.move48(16, VA.spd), // d16: shader program descriptor
  encode.move32(33, 63), // workgroup 64 × 1 × 1
  encode.move32(37, 4), encode.move32(38, 1), encode.move32(39, 1), // 4 × 1 × 1 workgroups
  encode.runCompute(),
  encode.move48(0, VA.link), encode.move48(2, 1),
  encode.syncSet64(0, 2, { scope: "CSG", waitMask: 0b1, signalSlot: 1 }), // deferred behind the job's slot 0
];
/** Stream B: SYNC_WAIT64 until [link] > 0, then store 0xdeadbeef to the BO. */
const streamB = [
  encode.move48(0, VA.link), encode.move48(2, 0),
  encode.syncWait64("GREATER", 0, 2),
  encode.move32(4, DEADBEEF), encode.move48(6, VA.bo),
  encode.storeMultiple(4, 6, 0b1),
];

/** Probe, boot the firmware, start CSG 0 and run the two streams in one ring; then 1 ms for the idle notifications. */
function runTwoStreams(model: GpuModel) {
  const bench = fwBench(model, function* (w) {
    yield* bringUpGpu(w);
    const h = yield* bootFirmware(w);
    if (h === undefined) throw new Error("MCU did not boot");
    if (!(yield* startGroup(w))) throw new Error("CSG 0 did not start");
    const a = yield* writeStream(w, STREAM_A, streamA);
    const b = yield* writeStream(w, STREAM_B, streamB);
    yield* submitJobs(w, [{ va: STREAM_A, size: a }, { va: STREAM_B, size: b }]);
    yield* h.waitUntil(() => w.u64(VA.syncobj) === 2n);
    yield* h.waitUntil(() => false, 1 * MS);
  });
  bench.run();
  return bench;
}

const at = (events: readonly Envelope[], type: string) => events.find((e) => e.type === type)!.timeNs;
const digest = (events: readonly Envelope[]) => createHash("sha256").update(events.map((e) => JSON.stringify(e)).join("\n")).digest("hex");

describe("MCU firmware boot and a first job (integration, scripted driver)", () => {
  it("boots from its image mapped through AS0, acknowledges the global interface, starts CSG 0 and runs two linked streams in order", () => {
    // given a GPU reset and powered, the firmware image placed and mapped in AS0, a user VM on AS1
    // when the driver enables the MCU, initialises GLB, starts CSG 0 and submits two jobs in one ring
    const { sink, w } = runTwoStreams(G610);
    const t0 = at(sink.events, "McuControlWritten");
    const job = (n: number) => `csg0.cs0.job${n}`;
    // then the firmware's facts come in this order, at these virtual times (boot 500 µs, requests 2 µs, 20 ns per instruction)
    expect(fwStory(sink.events, w, t0)).toEqual([
      [t0, "McuControlWritten", { value: 2 }],
      [t0, "TranslationRequested", { requester: "gpu0.fw", job: "mcu-boot-1-image", as: 0, ranges: [{ va: 0, size: 4096, access: "execute" }, { va: 0x10_0000, size: 36, access: "read" }] }],
      [t0, "TranslationCompleted", expect.objectContaining({ job: "mcu-boot-1-image", ok: true })],
      [t0, "TranslationRequested", { requester: "gpu0.fw", job: "mcu-boot-1-shared", as: 0, ranges: [{ va: 0x0400_0000, size: 0xc000, access: "write" }] }],
      [t0, "TranslationCompleted", expect.objectContaining({ job: "mcu-boot-1-shared", ok: true })],
      [t0 + 500 * US, "MemoryWritten", { to: "control blocks", bytes: 0x2000 }],
      [t0 + 500 * US, "MemoryWritten", { to: "output blocks", bytes: 0x5000 }],
      [t0 + 500 * US, "McuStatusChanged", { status: MCU_STATUS.ENABLED }],
      [t0 + 500 * US, "FirmwareBooted", { version: "1.1.0", groupNum: 8, streamNum: 8, sharedVa: 0x0400_0000, sharedPa: w.fw!.sharedPa, sharedSize: 0xc000, fast: false }],
      [t0 + 500 * US, "IrqRaised", { line: "job", bits: JOB_INT_GLOBAL_IF }],
      // panthor_fw_init_global_iface(): IDLE_EN set, three CFG toggles, doorbell 0
      [t0 + 500 * US, "DoorbellRung", { doorbell: 0 }],
      [t0 + 502 * US, "GlbRequestsAcked", { requests: ["CFG_PROGRESS_TIMER", "CFG_ALLOC_EN", "CFG_POWEROFF_TIMER", "IDLE_EN"], ack: 0x40e, irq: true }],
      [t0 + 502 * US, "MemoryWritten", { to: "GLB output", bytes: 28 }],
      [t0 + 502 * US, "IrqRaised", { line: "job", bits: JOB_INT_GLOBAL_IF }],
      // CSG 0 and its CS 0 programmed, CSG bit toggled in GLB doorbell_req, doorbell 0
      [t0 + 502 * US, "DoorbellRung", { doorbell: 0 }],
      [t0 + 504 * US, "MemoryWritten", { to: "GLB output", bytes: 28 }],
      [t0 + 504 * US, "CsgStateChanged", { csg: 0, state: "running", request: "START", priority: 15, as: 1 }],
      [t0 + 504 * US, "CsRequestsAcked", { csg: 0, cs: 0, requests: ["STATE_START", "IDLE_SYNC_WAIT", "IDLE_EMPTY"], ack: 0x501 }],
      [t0 + 504 * US, "MemoryWritten", { to: "CSG0 output", bytes: 32 }],
      [t0 + 504 * US, "MemoryWritten", { to: "CS0.0 output", bytes: 216 }],
      [t0 + 504 * US, "CsgRequestsAcked", { csg: 0, requests: ["STATE_START", "ENDPOINT_CONFIG"], ack: 0x11, irq: true }],
      [t0 + 504 * US, "IrqRaised", { line: "job", bits: 1 }],
      // queue_run_job() ×2: the ring written, CS_INSERT moved, the queue's doorbell (CSG 0 + 1)
      [t0 + 504 * US, "DoorbellRung", { doorbell: 1 }],
      // 17 instructions (wrapper 1 up to its WAIT(all), stream A): 340 ns
      [t0 + 506_340, "JobDispatched", { job: job(1), as: 1, kind: "compute", coreMask: 0x50005, cost: { cycles: 4 * 64 * 64 }, ranges: [{ va: VA.spd, size: 64, access: "read" }] }],
      [t0 + 506_340, "CsBlocked", { csg: 0, cs: 0, blockedReason: 1, instructionAddress: VA.ring + 0x40, waitMask: 0xff }],
      [t0 + 506_340, "MemoryWritten", { to: "ring output page", bytes: 12 }],
      [t0 + 506_340, "MemoryWritten", { to: "CS0.0 output", bytes: 216 }],
      [t0 + 506_340, "TranslationRequested", { requester: "gpu0.shader", job: job(1), as: 1, ranges: [{ va: VA.spd, size: 64, access: "read" }] }],
      [t0 + 506_340, "TranslationCompleted", expect.objectContaining({ job: job(1), ok: true })],
      // 16 384 cycles on 4 cores at 300 MHz: 13 654 ns; the deferred SYNC_SET64 runs when the job is done
      [t0 + 519_994, "JobCompleted", { job: job(1), as: 1, cores: 0x50005, cycles: 16_384, runNs: 13_654 }],
      [t0 + 519_994, "MemoryWritten", { to: "link", bytes: 8 }],
      [t0 + 519_994, "SyncObjectUpdated", { gpu: 0, csg: 0, cs: 0, address: VA.link, seqno: "1", size: 64, operation: "set", scope: "CSG" }],
      // 30 more instructions (rest of wrapper 1, wrapper 2, stream B): 600 ns
      [t0 + 520_594, "MemoryWritten", { to: "syncobj", bytes: 12 }],
      [t0 + 520_594, "MemoryWritten", { to: "bo", bytes: 4 }],
      [t0 + 520_594, "MemoryWritten", { to: "syncobj", bytes: 12 }],
      [t0 + 520_594, "SyncObjectUpdated", { gpu: 0, csg: 0, cs: 0, address: VA.syncobj, seqno: "1", status: 0, size: 64, operation: "add", scope: "SYSTEM" }],
      [t0 + 520_594, "MemoryWritten", { to: "CSG0 output", bytes: 32 }],
      [t0 + 520_594, "CsgEventRaised", { csg: 0, event: "SYNC_UPDATE" }],
      [t0 + 520_594, "SyncObjectUpdated", { gpu: 0, csg: 0, cs: 0, address: VA.syncobj, seqno: "2", status: 0, size: 64, operation: "add", scope: "SYSTEM" }],
      [t0 + 520_594, "CsIdle", { csg: 0, cs: 0, extract: 256, pendingJobs: 0 }],
      [t0 + 520_594, "MemoryWritten", { to: "ring output page", bytes: 12 }],
      [t0 + 520_594, "MemoryWritten", { to: "CS0.0 output", bytes: 216 }],
      [t0 + 520_594, "IrqRaised", { line: "job", bits: 1 }],
      // idle_timer 18 × 1024 ticks of 24 MHz = 768 µs later: CSG IDLE, then GLB IDLE
      [t0 + 1_288_594, "MemoryWritten", { to: "CSG0 output", bytes: 32 }],
      [t0 + 1_288_594, "CsgEventRaised", { csg: 0, event: "IDLE" }],
      [t0 + 1_288_594, "MemoryWritten", { to: "GLB output", bytes: 28 }],
      [t0 + 1_288_594, "GlbEventRaised", { event: "IDLE" }],
      [t0 + 1_288_594, "IrqRaised", { line: "job", bits: (JOB_INT_GLOBAL_IF | 1) >>> 0 }],
    ]);
    // and the second stream's store is in the BO, the queue's sync object reads 2, the link 1
    expect(w.u32(VA.bo)).toBe(DEADBEEF);
    expect([w.u64(VA.syncobj), w.u32(VA.syncobj + 8), w.u64(VA.link)]).toEqual([2n, 0, 1n]);
    // and the driver saw the boot, the two GLB acks, CSG 0's start and sync update, then the idle notifications
    expect(w.host!.seen).toEqual([JOB_INT_GLOBAL_IF, JOB_INT_GLOBAL_IF, 1, 1, (JOB_INT_GLOBAL_IF | 1) >>> 0]);
    expect(w.host!.ifaces).toMatchObject({ version: { major: 1, minor: 1, patch: 0 }, csifInfo: { csg_slot_count: 8, cs_slot_count: 8, cs_reg_count: 96, scoreboard_slot_count: 8 } });
    expect(sink.events.filter((e) => e.type === "ActorHandlerFailed" || e.type === "MessageRejected")).toEqual([]);
  });

  it("does not boot without the firmware mapping: AS0 faults the boot fetch, MCU_STATUS stays DISABLED, the driver times out", () => {
    // given the image placed in memory but its sections not mapped in the MCU VM (AS0)
    let boot: { booted: boolean; status: number; waitedNs: number } | undefined;
    const { sim, sink, w } = fwBench(G610, function* (w) {
      yield* bringUpGpu(w, { mapFirmware: false });
      // when the driver enables the MCU and waits for GLOBAL_IF (panthor_fw_start(): up to 1000 ms)
      boot = yield* startMcu();
    });
    sim.run();
    const t0 = at(sink.events, "McuControlWritten");
    // then the MMU faults the MCU's first fetch at VA 0, the firmware reports why it stayed down
    expect(fwStory(sink.events, w, t0)).toEqual([
      [t0, "McuControlWritten", { value: 2 }],
      [t0, "TranslationRequested", expect.objectContaining({ job: "mcu-boot-1-image", as: 0 })],
      [t0, "AsFaultRaised", expect.objectContaining({ as: 0, faultAddress: 0, exceptionName: "TRANSLATION_FAULT_2", job: "mcu-boot-1-image" })],
      [t0, "TranslationCompleted", expect.objectContaining({ job: "mcu-boot-1-image", ok: false })],
      [t0, "FirmwareBootFailed", { reason: "image-unmapped", va: 0, exceptionName: "TRANSLATION_FAULT_2" }],
    ]);
    // and no GLOBAL_IF came: the driver gave up after its 1000 ms with MCU_STATUS still DISABLED
    expect(boot).toEqual({ booted: false, status: MCU_STATUS.DISABLED, waitedNs: 1000 * MS });
    expect(sink.events.filter((e) => e.type === "McuStatusChanged" || (e.type === "IrqRaised" && (e.payload as { line: string }).line === "job"))).toEqual([]);
  });

  it("boots and runs the same streams on the small G310-like model, with its own slot counts and clock", () => {
    const small = loadGpuModel("mali-g310-small");
    const { sink, w } = runTwoStreams(small);
    expect(sink.events.find((e) => e.type === "FirmwareBooted")?.payload).toMatchObject({ groupNum: small.firmware.csg_slot_count, streamNum: small.firmware.cs_per_csg });
    expect(w.u32(VA.bo)).toBe(DEADBEEF);
    expect(w.u64(VA.syncobj)).toBe(2n);
    expect(sink.events.filter((e) => e.type === "ActorHandlerFailed" || e.type === "MessageRejected")).toEqual([]);
  });
});

describe("determinism and replay of a firmware run", () => {
  it("gives the same log twice for the same script", () => {
    const a = runTwoStreams(G610).sink.events;
    const b = runTwoStreams(G610).sink.events;
    expect(a.length).toBeGreaterThan(200);
    expect(digest(a)).toBe(digest(b));
  });

  it("replays the driver's inputs as a scenario, run embedded and replayed through runtime/replay.ts to a match", async () => {
    // given the register writes and CPU memory writes the scripted driver made, as timed scenario steps
    const { sink } = runTwoStreams(G610);
    const prefix = `tyrsim.${sink.events[0]!.run}.`;
    const steps = sink.events
      .filter((e) => e.source === "drv" && (e.type === "MmioWriteIssued" || e.type === "MemoryWritten"))
      .map((e) => ({ at: e.timeNs, type: e.type, path: e.subject.slice(prefix.length), payload: e.payload }));
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-fw-"));
    const file = join(dir, "fw-boot.yaml");
    writeFileSync(file, stringify({ name: "fw-boot", model: G610.name, duration: 3 * MS, steps }));
    // when it runs in the embedded runtime and its log is replayed
    const run = await runEmbedded({ loaded: loadScenarioFile(file, createCatalogue()), outDir: dir });
    const replay = await replayLog(run.log);
    // then the firmware booted and ran both streams, and the replay matches event for event
    expect(run.actorFailures).toBe(0);
    expect(run.rejected).toBe(0);
    expect(run.eventsByType).toMatchObject({ FirmwareBooted: 1, JobDispatched: 1, SyncObjectUpdated: 3 });
    expect(replay.divergence).toBeUndefined();
    expect(replay.match).toBe(true);
    expect(replay.events).toBe(run.events);
  }, 60_000);
});
