import { describe, expect, it } from "vitest";
import { encode } from "../../services/firmware/index.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { neg } from "../../services/workload/drmClient.ts";
import { bootDrmDevice, groupArgs } from "../support/drmDevice.ts";
import { createGroup, loopWords, mapBo, openClient, readU32, storeWords, streamAt, submitJob } from "../support/submitWorld.ts";

const G310 = loadGpuModel("mali-g310-small");
const MS = 1_000_000;
const OUT_VA = 0x80_0000;
const stream = (i: number) => 0x10_0000 + i * 0x1_0000;
type Reason = { group: number; reason: string };

/** 4 LOW groups of `c` spinning forever (a branch to itself), one per CSG slot once the scheduler has run; their out-syncobjs. */
function spinLowGroups(dev: ReturnType<typeof bootDrmDevice>, c: ReturnType<typeof openClient>): { lows: number[]; lowOuts: number[] } {
  const spin = streamAt(c, stream(0), [encode.nop(), encode.branch("ALWAYS", 0, -2)]);
  const lows = Array.from({ length: 4 }, () => createGroup(c, { priority: 0 }, 1, G310));
  const lowOuts = lows.map((g) => submitJob(c, g, 0, stream(0), spin));
  dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + 2 * MS);
  return { lows, lowOuts };
}

describe("the group scheduler (tick_work) on 4 CSG slots", () => {
  it("completes every job when busy groups outnumber the CSG slots, rotating them on the 10 ms tick", () => {
    // given 5 groups of equal priority, each running a loop that ends with a store; the first one's
    // loop lasts ~12 ms (2 instructions × 20 ns × 300 000), so a tick comes while every slot is busy
    const dev = bootDrmDevice(G310);
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const sizes = Array.from({ length: 5 }, (_, i) => streamAt(c, stream(i), loopWords(i === 0 ? 300_000 : 20_000, OUT_VA + 4 * i, 100 + i)));
    const groups = sizes.map(() => createGroup(c, {}, 1, G310));
    // when all are submitted at once and the client waits for every out-syncobj
    const outs = groups.map((g, i) => submitJob(c, g, 0, stream(i), sizes[i]!));
    expect(c.f.syncobjWait(outs, { flags: 1, timeoutNs: 2000 * MS }).ret).toBe(0);
    // then every group stored its value and every fence signalled without error
    expect(groups.map((_, i) => readU32(c, out, 4 * i))).toEqual([100, 101, 102, 103, 104]);
    expect(dev.events("JobFenceSignalled").map((e) => (e.payload as { error: number }).error)).toEqual([0, 0, 0, 0, 0]);
    // and a periodic tick rotated a running group out (SUSPEND) and back in later (RESUME), mid-loop
    const reasons = dev.events("GroupStateChanged").map((e) => e.payload as Reason);
    const rotated = groups.filter((g) => reasons.some((r) => r.group === g && r.reason === "evicted") && reasons.some((r) => r.group === g && r.reason === "resumed"));
    expect(rotated.length).toBeGreaterThan(0);
    expect(dev.events("SchedTickDone").some((e) => (e.payload as { evicted: number }).evicted > 0)).toBe(true);
    expect(dev.events("ActorHandlerFailed")).toEqual([]);
  }, 60_000);

  it("runs a HIGH group of a CAP_SYS_NICE process to completion while LOW groups spin, and refuses HIGH to an unprivileged one with -EACCES", () => {
    // given 4 LOW groups spinning forever, one per CSG slot, and a compositor with CAP_SYS_NICE
    const dev = bootDrmDevice(G310);
    const c = openClient(dev, "app");
    const compositor = openClient(dev, "compositor", { capSysNice: true });
    const out = mapBo(compositor, OUT_VA);
    const { lowOuts } = spinLowGroups(dev, c);
    // then the unprivileged client may not create a HIGH group
    expect(c.f.ioctl("GROUP_CREATE", groupArgs(c.vm, undefined, { priority: 2 }, G310)).ret).toBe(neg("EACCES"));
    // when the compositor's HIGH group submits a store
    const size = streamAt(compositor, stream(1), storeWords(OUT_VA, 0xbeef));
    const high = createGroup(compositor, { priority: 2 }, 1, G310);
    const t0 = dev.sim.scheduler.nowNs;
    const done = submitJob(compositor, high, 0, stream(1), size);
    // then it takes a slot at once (a LOW group is evicted for it), at the top CSG priority, and completes
    expect(compositor.f.syncobjWait([done], { timeoutNs: 1 * MS }).ret).toBe(0);
    expect(dev.sim.scheduler.nowNs - t0).toBeLessThan(1 * MS);
    expect(readU32(compositor, out)).toBe(0xbeef);
    const reasons = dev.events("GroupStateChanged").map((e) => e.payload as Reason & { file: number; csgPriority?: number });
    expect(reasons.filter((r) => r.reason === "evicted")).toHaveLength(1);
    expect(reasons.find((r) => r.file === compositor.f.fd && r.group === high && r.reason === "started")?.csgPriority).toBe(15);
    // while the LOW jobs still spin
    expect(c.f.syncobjWait(lowOuts, { timeoutNs: 0 }).ret).toBeLessThan(0);
  }, 60_000);

  it("runs a MEDIUM group to completion while LOW groups spin on every slot", () => {
    // given 4 LOW groups spinning forever, one per CSG slot
    const dev = bootDrmDevice(G310);
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const { lows, lowOuts } = spinLowGroups(dev, c);
    expect(dev.events("GroupStateChanged").filter((e) => (e.payload as { state: string }).state === "active")).toHaveLength(4);
    // when a MEDIUM group submits a store
    const size = streamAt(c, stream(1), storeWords(OUT_VA, 0xcafe));
    const medium = createGroup(c, { priority: 1 }, 1, G310);
    const t0 = dev.sim.scheduler.nowNs;
    const done = submitJob(c, medium, 0, stream(1), size);
    // then it gets a slot at once (a LOW group is suspended for it) and completes within a millisecond
    expect(c.f.syncobjWait([done], { timeoutNs: 1 * MS }).ret).toBe(0);
    expect(dev.sim.scheduler.nowNs - t0).toBeLessThan(1 * MS);
    expect(readU32(c, out)).toBe(0xcafe);
    const reasons = dev.events("GroupStateChanged").map((e) => e.payload as Reason & { csgPriority?: number });
    expect(reasons.filter((r) => r.reason === "evicted")).toHaveLength(1);
    expect(reasons.find((r) => r.group === medium && r.reason === "started")?.csgPriority).toBe(15);
    // while the LOW jobs still spin: none of their fences signalled
    expect(c.f.syncobjWait(lowOuts, { timeoutNs: 0 }).ret).toBeLessThan(0);
    // and destroying the LOW groups signals their fences with -ECANCELED
    for (const g of lows) expect(c.f.ioctl("GROUP_DESTROY", { group_handle: g }).ret).toBe(0);
    expect(c.f.syncobjWait(lowOuts, { flags: 1, timeoutNs: 10 * MS }).ret).toBe(0);
    const errors = dev.events("JobFenceSignalled").map((e) => e.payload as { group: number; error: number });
    expect(errors.filter((e) => lows.includes(e.group)).map((e) => e.error)).toEqual([-125, -125, -125, -125]);
  }, 60_000);
});
