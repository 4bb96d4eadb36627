import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { GPU_CMD, GPU_CONTROL } from "../../../shared/gpu/registers.ts";
import { auditEvents, editLog, find, firmwareRun, runLogged, type LoggedRun } from "../../../test/support/auditRuns.ts";
import { auditLogFile } from "../audit.ts";
import type { AuditReport } from "../auditReport.ts";

const scenarios = readdirSync("scenarios").filter((f) => f.endsWith(".yaml")).sort();
const ids = (r: AuditReport, invariant: string) => r.invariants.violations.filter((v) => v.invariant === invariant).map((v) => v.events.map((x) => x.id));
const payload = (e: Envelope) => e.payload as Record<string, unknown>;
const replace = (events: Envelope[], target: Envelope, next: Partial<Envelope>) => events.map((e) => (e.id === target.id ? { ...e, ...next } : e));

describe("the invariant checker on clean runs", () => {
  it.each(scenarios)("finds no broken invariant in a clean run of scenarios/%s (and no failure unless it injects a fault)", async (file) => {
    // given a run of the scenario as `tyrsim run` makes it
    const run = await runLogged({ file: join("scenarios", file) });
    // when its log is audited
    const r = auditLogFile(run.log);
    // then no invariant broke, and a scenario without faults failed nowhere
    expect(r.invariants.violations).toEqual([]);
    if (r.faults.length === 0) expect(r.failures).toEqual([]);
    expect(r.verdict.clean).toBe(r.failures.length === 0);
  }, 120_000);

  it("finds no broken invariant in a firmware run: MCU boot, GLB, a CSG, a job, sync objects, job IRQs", () => {
    const { sink } = firmwareRun();
    expect(sink.events.some((e) => e.type === "SyncObjectUpdated")).toBe(true);
    const r = auditEvents(sink.events);
    expect(r.invariants.violations).toEqual([]);
    expect(r.failures).toEqual([]);
  });
});

describe("the invariant checker on hand-edited logs", () => {
  let jobs: LoggedRun;
  let mmu: LoggedRun;
  beforeAll(async () => {
    [jobs, mmu] = await Promise.all([runLogged({ file: "scenarios/job-faults.yaml" }), runLogged({ file: "scenarios/mmu-fault.yaml" })]);
  });

  it("catches a job started on a core that is not powered, naming the JobStarted and the last PowerDomainChanged", () => {
    const started = find(jobs.events, "JobStarted", (p) => p["job"] === "ok-1");
    const power = find(jobs.events, "PowerDomainChanged", (p) => p["domain"] === "shader");
    const log = editLog(jobs.log, (es) => replace(es, started, { payload: { ...payload(started), cores: 0x50007 } }));
    expect(ids(auditLogFile(log), "jobs-on-powered-cores")).toEqual([[power.id, started.id]]);
  });

  it("catches a translation to a physical page the page tables do not map there", () => {
    const done = find(mmu.events, "TranslationCompleted", (p) => p["job"] === "app-1");
    const segments = (payload(done)["segments"] as { va: number; pa: number; size: number }[]).map((s, i) => (i === 0 ? { ...s, pa: s.pa + 0x1000 } : s));
    const log = editLog(mmu.log, (es) => replace(es, done, { payload: { ...payload(done), segments } }));
    const v = auditLogFile(log).invariants.violations.filter((x) => x.invariant === "accesses-within-mappings");
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/0x100000 was translated to PA .* but the page tables map it to/);
    expect(v[0]!.events.map((x) => x.id)).toEqual([expect.stringMatching(/^gpu0\.mmu:/), find(mmu.events, "TranslationRequested", (p) => p["job"] === "app-1").id, done.id]);
  });

  it("catches a successful access to a VA nothing maps", () => {
    const req = find(mmu.events, "TranslationRequested", (p) => p["job"] === "app-1");
    const done = find(mmu.events, "TranslationCompleted", (p) => p["job"] === "app-1");
    const move = (r: { va: number }) => (r.va === 0x100000 ? { ...r, va: 0x300000 } : r);
    const log = editLog(mmu.log, (es) =>
      replace(replace(es, req, { payload: { ...payload(req), ranges: (payload(req)["ranges"] as { va: number }[]).map(move) } }), done, {
        payload: { ...payload(done), segments: (payload(done)["segments"] as { va: number }[]).map(move) },
      }),
    );
    const v = auditLogFile(log).invariants.violations.filter((x) => x.invariant === "accesses-within-mappings");
    expect(v.map((x) => x.message)).toEqual([expect.stringMatching(/0x300000 was translated but the page tables say read → translation fault/)]);
  });

  it("catches a faulting translation that latched no AsFaultRaised, and a faulted job that completes", () => {
    const raised = find(mmu.events, "AsFaultRaised", (p) => p["job"] === "app-2");
    const answer = find(mmu.events, "TranslationCompleted", (p) => p["job"] === "app-2");
    const faulted = find(mmu.events, "JobFaulted", (p) => p["job"] === "app-2");
    const log = editLog(mmu.log, (es) =>
      replace(es.filter((e) => e.id !== raised.id), faulted, { type: "JobCompleted", payload: { job: "app-2", as: 1, cores: 0x50005, cycles: 300000, runNs: 250000 } }),
    );
    expect(ids(auditLogFile(log), "faults-are-raised-and-final")).toEqual([[answer.id], [answer.id, faulted.id]]);
  });

  it("catches a reset that never completed and reported nothing within the bound", async () => {
    const stuck = await runLogged({ file: "scenarios/reset-stuck.yaml" });
    const write = find(stuck.events, "MmioWriteIssued", (p) => p["offset"] === GPU_CONTROL.GPU_CMD && p["value"] === GPU_CMD.SOFT_RESET);
    const log = editLog(stuck.log, (es) => es.filter((e) => e.type !== "ProbeStepFailed" && e.type !== "DeviceProbeFailed").map((e) => (e.type === "RunEnded" ? { ...e, timeNs: 120_000_000 } : e)));
    expect(ids(auditLogFile(log), "resets-resolve")).toEqual([[write.id]]);
  });

  it("catches a sync object's seqno going backwards and an MCU status jump from DISABLED to HALT", () => {
    const { sink } = firmwareRun();
    const sync = sink.events.filter((e) => e.type === "SyncObjectUpdated").at(-1)!;
    const enabled = find(sink.events, "McuStatusChanged", (p) => p["status"] === 1);
    const back = { ...sync, id: "gpu0.fw:999999", payload: { ...payload(sync), seqno: "0" } };
    const edited = replace(sink.events, enabled, { payload: { status: 2 } }).flatMap((e) => (e.id === sync.id ? [e, back] : [e]));
    const r = auditEvents(edited);
    expect(ids(r, "ring-pointers-monotonic")).toEqual([[sync.id, back.id]]);
    expect(ids(r, "mcu-status-transitions")[0]).toEqual([expect.stringMatching(/^gpu0\.regs:/), enabled.id]);
  });

  it("catches an interrupt line left asserted beyond 10 ms", () => {
    const asserted = find(mmu.events, "IrqLineChanged", (p) => p["line"] === "mmu" && p["asserted"] === true);
    const log = editLog(mmu.log, (es) =>
      es.filter((e) => !(e.type === "IrqLineChanged" && payload(e)["line"] === "mmu" && payload(e)["asserted"] === false)).map((e) => (e.timeNs === 5_000_000 ? { ...e, timeNs: 20_000_000 } : e)),
    );
    expect(ids(auditLogFile(log), "irqs-serviced")).toEqual([[asserted.id]]);
  });

  it("catches page tables that disagree with GPUVM: a page GPUVM maps read-only that the tables map writable", () => {
    const bind = find(mmu.events, "IoctlIssued", (p) => p["tag"] === "map");
    const activated = find(mmu.events, "VmActivated", (p) => p["file"] === 1);
    const args = payload(bind)["args"] as { ops: { array: Record<string, unknown>[] } };
    const readonly = { ...args, ops: { ...args.ops, array: args.ops.array.map((o) => ({ ...o, flags: 1 })) } };
    const log = editLog(mmu.log, (es) => replace(es, bind, { payload: { ...payload(bind), args: readonly } }));
    const v = auditLogFile(log).invariants.violations.filter((x) => x.invariant === "page-tables-match-gpuvm");
    expect(v.map((x) => x.message)).toEqual(["AS1: 0x200000 is read-only in GPUVM but writable in the page tables"]);
    expect(v[0]!.events.at(-1)?.id).toBe(activated.id);
  });

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

  it("catches an ioctl that succeeded with another DRM file's GEM handle, naming the handle's creation", () => {
    const bind = find(mmu.events, "IoctlIssued", (p) => p["tag"] === "map2");
    const done = find(mmu.events, "IoctlCompleted", (p) => p["tag"] === "map2");
    const owner = find(mmu.events, "GemObjectCreated", (p) => p["file"] === 1 && p["handle"] === 2);
    const args = payload(bind)["args"] as { ops: { array: Record<string, unknown>[] } };
    const crossed = { ...args, ops: { ...args.ops, array: args.ops.array.map((o) => ({ ...o, bo_handle: 2 })) } };
    const log = editLog(mmu.log, (es) => replace(es, bind, { payload: { ...payload(bind), args: crossed } }));
    const [proof] = ids(auditLogFile(log), "handles-stay-in-file");
    expect(proof).toContain(owner.id);
    expect(proof?.slice(-2)).toEqual([bind.id, done.id]);
  });
});
