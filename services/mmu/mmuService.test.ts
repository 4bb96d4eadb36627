import { describe, expect, it } from "vitest";
import { EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_TRANSCFG, asTranscfgInaBits } from "../../shared/gpu/registerFields.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { GpuSoftResetCompleted, regsEvents } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import { map, unmap } from "./iommuMap.ts";
import { packRegionRange } from "./lockRegion.ts";
import { AsCommandIssued, hex64, mmuEvents, TranslationRequested, type AsCommandName } from "./mmuEvents.ts";
import { mmuPaths } from "./mmuPaths.ts";
import { mmuActor } from "./mmuService.ts";
import { createPageTable, transtab } from "./pageTable.ts";
import { IOMMU_PROT } from "./pteFormat.ts";

const US = 1_000;
const VA = 0x10_0000;
const TRANSCFG = BigInt(AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - 48));

function harness() {
  const registry = new EventRegistry().register(...systemEvents, ...regsEvents, ...mmuEvents);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "t", seed: 1, registry, sink });
  const mem = new PhysicalMemory(512 * PAGE_SIZE);
  const actor = sim.addActor(mmuActor({ gpu: 0, asPresent: 0b11, vaBits: 48, paBits: 40, commandLatencyNs: US }, mem));
  // The driver's page table for AS1: VA → frame 100, read/write.
  const pt = createPageTable(mem);
  map(pt, VA, 100 * PAGE_SIZE, PAGE_SIZE, IOMMU_PROT.READ | IOMMU_PROT.WRITE);
  const paths = mmuPaths(0);
  const command = (command: AsCommandName, at: number, opts: { lockaddr?: bigint; faultPending?: boolean; transcfg?: bigint } = {}) =>
    sim.input("scenario", AsCommandIssued, paths.cmd, {
      as: 1, command, transtab: hex64(transtab(pt)), memattr: "0x0", transcfg: hex64(opts.transcfg ?? TRANSCFG),
      lockaddr: hex64(opts.lockaddr ?? 0n), faultPending: opts.faultPending ?? false,
    }, at);
  const translate = (job: string, at: number, access: "read" | "write" = "read", va = VA) =>
    sim.input("scenario", TranslationRequested, paths.translate, { requester: "test", job, as: 1, ranges: [{ va, size: 16, access }] }, at);
  const facts = () => sink.events.filter((e) => e.source === "gpu0.mmu").map((e) => [e.timeNs, e.type, e.payload]);
  return { sim, sink, mem, pt, actor, command, translate, facts };
}

describe("MMU address-space slots", () => {
  it("completes UPDATE after the command latency, then translates through the new table", () => {
    // given AS1 unconfigured
    const h = harness();
    // when the driver issues UPDATE at 0 and a job translates at 5 µs
    h.command("UPDATE", 0);
    h.translate("j1", 5 * US);
    h.sim.run();
    // then AS_ACTIVE lasts 1 µs and the translation reaches frame 100
    expect(h.facts()).toEqual([
      [1 * US, "AsCommandCompleted", { as: 1, command: "UPDATE" }],
      [5 * US, "TranslationCompleted", { requester: "test", job: "j1", as: 1, ok: true, segments: [{ va: VA, pa: 100 * PAGE_SIZE, size: 16 }] }],
    ]);
    expect(h.actor.behaviour.snapshot()).toMatchObject({ as1: { state: "active", command: "idle", tlbEntries: 1 } });
  });

  it("rejects a command written while another is active, and one for a missing AS", () => {
    const h = harness();
    h.command("UPDATE", 0);
    h.command("LOCK", 500);
    h.sim.input("scenario", AsCommandIssued, mmuPaths(0).cmd, { as: 5, command: "UPDATE", transtab: "0x0", memattr: "0x0", transcfg: "0x0", lockaddr: "0x0", faultPending: false }, 600);
    h.sim.run();
    const rejected = h.sink.events.filter((e) => e.type === "AsCommandRejected").map((e) => e.payload);
    expect(rejected).toEqual([{ as: 1, command: "LOCK", reason: "busy" }, { as: 5, command: "UPDATE", reason: "not-present" }]);
  });

  it("completes a job that touches no memory, even through an unconfigured AS, without a fault", () => {
    // given AS1 never updated, when a job with no memory ranges asks for translation
    const h = harness();
    h.sim.input("scenario", TranslationRequested, mmuPaths(0).translate, { requester: "test", job: "empty", as: 1, ranges: [] }, 0);
    h.sim.run();
    // then it is answered ok with no segments, and nothing faults (the actor does not fail either)
    expect(h.sink.events.filter((e) => e.type === "TranslationCompleted").map((e) => e.payload)).toEqual([{ requester: "test", job: "empty", as: 1, ok: true, segments: [] }]);
    expect(h.sink.events.filter((e) => e.type === "AsFaultRaised" || e.type === "ActorHandlerFailed")).toEqual([]);
  });

  it("faults an access through an unconfigured AS and keeps answering with the pending fault until a command clears it", () => {
    // given AS1 never updated
    const h = harness();
    // when a job translates, another follows, the driver UPDATEs with the fault still pending, then after clearing it
    h.translate("j1", 0);
    h.translate("j2", 1 * US);
    h.command("UPDATE", 2 * US, { faultPending: true });
    h.translate("j3", 4 * US);
    h.command("UPDATE", 5 * US);
    h.translate("j4", 7 * US);
    h.sim.run();
    // then one fault is latched (TRANSLATION_FAULT_0, READ), later requests get it back, and the cleared AS translates
    const answers = h.sink.events.filter((e) => e.type === "TranslationCompleted").map((e) => e.payload as { job: string; ok: boolean; fault?: { latched: boolean } });
    expect(answers.map((a) => [a.job, a.ok, a.fault?.latched])).toEqual([["j1", false, false], ["j2", false, true], ["j3", false, true], ["j4", true, undefined]]);
    const raised = h.sink.events.filter((e) => e.type === "AsFaultRaised").map((e) => e.payload);
    expect(raised).toEqual([{ as: 1, faultStatus: 0x2c0, faultAddress: VA, exceptionType: 0xc0, exceptionName: "TRANSLATION_FAULT_0", accessType: 2, job: "j1" }]);
  });

  it("serves a stale translation until LOCK and FLUSH_PT drop it", () => {
    // given a configured AS whose translation of VA is cached
    const h = harness();
    h.command("UPDATE", 0);
    h.translate("old", 2 * US);
    h.sim.run({ untilNs: 3 * US });
    // when the mapping moves to frame 200 without a flush, then the driver locks and flushes
    unmap(h.pt, VA, PAGE_SIZE);
    map(h.pt, VA, 200 * PAGE_SIZE, PAGE_SIZE, IOMMU_PROT.READ | IOMMU_PROT.WRITE);
    h.translate("stale", 4 * US);
    h.command("LOCK", 5 * US, { lockaddr: packRegionRange(VA, PAGE_SIZE)!.lockaddr });
    h.command("FLUSH_PT", 7 * US);
    h.translate("fresh", 9 * US);
    h.sim.run();
    // then the second job still sees frame 100, the third frame 200
    const pas = h.sink.events.filter((e) => e.type === "TranslationCompleted").map((e) => (e.payload as { segments: { pa: number }[] }).segments[0]?.pa);
    expect(pas).toEqual([100 * PAGE_SIZE, 100 * PAGE_SIZE, 200 * PAGE_SIZE]);
  });

  it("stalls an access inside the locked region and completes it when the region is unlocked", () => {
    const h = harness();
    h.command("UPDATE", 0);
    h.command("LOCK", 2 * US, { lockaddr: packRegionRange(VA, PAGE_SIZE)!.lockaddr });
    h.translate("j1", 4 * US);
    h.command("UNLOCK", 6 * US);
    h.sim.run();
    expect(h.facts().slice(2)).toEqual([
      [4 * US, "TranslationStalled", { requester: "test", job: "j1", as: 1, va: VA, lockStart: VA, lockSize: 0x8000 }],
      [7 * US, "AsCommandCompleted", { as: 1, command: "UNLOCK" }],
      [7 * US, "TranslationCompleted", { requester: "test", job: "j1", as: 1, ok: true, segments: [{ va: VA, pa: 100 * PAGE_SIZE, size: 16 }] }],
    ]);
    expect(h.actor.behaviour.snapshot()).toMatchObject({ as1: { state: "active", stalled: [] } });
  });

  it("forgets every AS's programming, TLB and faults on a GPU soft reset", () => {
    const h = harness();
    h.command("UPDATE", 0);
    h.translate("j1", 2 * US);
    h.command("LOCK", 3 * US, { lockaddr: packRegionRange(VA, PAGE_SIZE)!.lockaddr });
    h.sim.input("scenario", GpuSoftResetCompleted, regsPaths(0).reset, { kind: "soft" }, 3500);
    h.translate("j2", 10 * US);
    h.sim.run();
    expect(h.actor.behaviour.snapshot()).toMatchObject({ as1: { state: "faulted", command: "idle", tlbEntries: 0, lockRegion: null } });
    const last = h.sink.events.filter((e) => e.type === "TranslationCompleted").at(-1)?.payload;
    expect(last).toMatchObject({ job: "j2", ok: false, fault: { exceptionName: "TRANSLATION_FAULT_0", latched: false } });
    // the LOCK in flight was abandoned: no completion after the reset
    expect(h.sink.events.filter((e) => e.type === "AsCommandCompleted").map((e) => e.timeNs)).toEqual([1 * US]);
  });
});
