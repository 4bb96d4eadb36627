/**
 * The invariant checkers on logs of their own: the firmware bench (no scenario runs it) and a
 * second page-table case. Each invariant's planted violation on a real scenario's log is in
 * test/auditPlanted.test.ts; every scenario audited clean or blamed on its fault is in
 * test/auditScenarios.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { auditEvents, editLog, find, firmwareRun, runLogged } from "../../../test/support/auditRuns.ts";
import { auditLogFile } from "../audit.ts";
import { FENCE_BOUND_NS } from "./fencesSignalInBound.ts";

const payload = (e: Envelope) => e.payload as Record<string, unknown>;
const replace = (events: Envelope[], target: Envelope, next: Partial<Envelope>) => events.map((e) => (e.id === target.id ? { ...e, ...next } : e));

describe("the invariant checker on a firmware run", () => {
  it("finds no broken invariant in a firmware run: MCU boot, GLB, a CSG, a job, sync objects, job IRQs", () => {
    const { sink } = firmwareRun();
    expect(sink.events.some((e) => e.type === "SyncObjectUpdated")).toBe(true);
    const r = auditEvents(sink.events);
    expect(r.invariants.violations).toEqual([]);
    expect(r.failures).toEqual([]);
  });
});

describe("the invariant checker on hand-edited logs", () => {
  it("catches page tables that still map a page a VM_BIND unmapped", async () => {
    const memory = await runLogged({ file: "scenarios/memory.yaml" });
    const unmap = find(memory.events, "IoctlIssued", (p) => p["tag"] === "unmap");
    const args = payload(unmap)["args"] as { ops: { array: Record<string, unknown>[] } };
    const wider = { ...args, ops: { ...args.ops, array: args.ops.array.map((o) => ({ ...o, va: 0x100000, size: 8192 })) } };
    const log = editLog(memory.log, (es) => replace(es, unmap, { payload: { ...payload(unmap), args: wider } }));
    const v = auditLogFile(log).invariants.violations.filter((x) => x.invariant === "page-tables-match-gpuvm");
    expect(v.map((x) => x.message)).toEqual([expect.stringMatching(/^AS1: 0x100000 is unmapped in GPUVM but translates to PA 0x/)]);
    expect(v[0]!.events.map((x) => x.id)).toContain(unmap.id);
  });
});

describe("the fence bound", () => {
  const inBound = (log: string) => auditLogFile(log).invariants.violations.filter((v) => v.invariant === "fences-signal-in-bound");

  it("counts only the group's slot time from the moment its job is on the ring: 6.4 s after submission is in bound, 6.6 s is not", async () => {
    // given the submit scenario, where group 2's job is written to its ring at 4.32 ms and the group takes CSG 1 at 4.518 ms
    const run = await runLogged({ file: "scenarios/submit.yaml" });
    const signal = find(run.events, "JobFenceSignalled", (p) => p["fence"] === 3);
    const at = (timeNs: number) => editLog(run.log, (es) => replace(es, signal, { timeNs }));
    // when its fence's signal is moved later, then the bound is 6.5 s of slot time
    expect(FENCE_BOUND_NS).toBe(6_500_000_000);
    expect(inBound(at(6_400_000_000))).toEqual([]);
    const late = inBound(at(6_600_000_000));
    expect(late.map((v) => v.message)).toEqual([expect.stringMatching(/^fence 3 of job g2\.q0\.j1 .* signalled \(error 0\) 6595\.482 ms of slot time after its job headed the ring \(bound 6500 ms\)$/)]);
    expect(late[0]!.events.map((x) => x.type)).toEqual(["JobSubmitted", "JobRingWritten", "JobFenceSignalled"]);
  });

  it("leaves a fence still pending when the log ends alone while it is younger than its bound", async () => {
    // given the submit scenario with fence 3's signal cut from the log (a run that just ended mid-job)
    const run = await runLogged({ file: "scenarios/submit.yaml" });
    const log = editLog(run.log, (es) => es.filter((e) => !(e.type === "JobFenceSignalled" && payload(e)["fence"] === 3)));
    // then nothing is reported: its group died 9.2 ms in, 0.2 ms before the end, well inside the recovery allowance
    expect(inBound(log)).toEqual([]);
  });
});
