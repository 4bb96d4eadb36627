/**
 * Planted violations: for every invariant the audit checks, a clean log of a real scenario is
 * hand-edited as a person would edit the JSONL (one event inserted, altered or removed) and the
 * audit must flag exactly that invariant — no other — naming the events that prove it. The table
 * is keyed by invariant name; an invariant added to `runtime/audit/invariants/index.ts` without a
 * planted violation here fails the last test.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogFile } from "../runtime/audit/audit.ts";
import type { AuditReport } from "../runtime/audit/auditReport.ts";
import { INVARIANTS } from "../runtime/audit/invariants/index.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { GPU_CMD, GPU_CONTROL } from "../shared/gpu/registers.ts";
import { editLog, find, runLogged, type LoggedRun } from "./support/auditRuns.ts";

type Base = "job-faults" | "mmu-fault" | "reset-stuck" | "submit";
type Runs = Readonly<Record<Base, LoggedRun>>;

/** A planted violation: the edited log and the ids of the events each expected violation names. */
interface Plant {
  readonly base: Base;
  readonly edit: string;
  plant(run: LoggedRun): { readonly log: string; readonly proof: readonly (readonly string[])[] };
}

const payload = (e: Envelope) => e.payload as Record<string, unknown>;
const replace = (events: Envelope[], target: Envelope, next: Partial<Envelope>) => events.map((e) => (e.id === target.id ? { ...e, ...next } : e));
const insertAfter = (events: Envelope[], target: Envelope, extra: Envelope) => events.flatMap((e) => (e.id === target.id ? [e, extra] : [e]));
const last = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type).at(-1)!;
const opsOf = (e: Envelope) => payload(e)["args"] as { ops: { array: Record<string, unknown>[] } };
const withOps = (e: Envelope, f: (o: Record<string, unknown>) => Record<string, unknown>) => {
  const args = opsOf(e);
  return { payload: { ...payload(e), args: { ...args, ops: { ...args.ops, array: args.ops.array.map(f) } } } };
};

const PLANTS: Readonly<Record<string, Plant>> = {
  "jobs-on-powered-cores": {
    base: "job-faults",
    edit: "job ok-1's JobStarted claims a core (bit 1) that was never powered",
    plant(run) {
      const started = find(run.events, "JobStarted", (p) => p["job"] === "ok-1");
      const power = find(run.events, "PowerDomainChanged", (p) => p["domain"] === "shader");
      return { log: editLog(run.log, (es) => replace(es, started, { payload: { ...payload(started), cores: 0x50007 } })), proof: [[power.id, started.id]] };
    },
  },
  "accesses-within-mappings": {
    base: "mmu-fault",
    edit: "job app-1's TranslationCompleted names a physical page one frame off the mapped one",
    plant(run) {
      const req = find(run.events, "TranslationRequested", (p) => p["job"] === "app-1");
      const done = find(run.events, "TranslationCompleted", (p) => p["job"] === "app-1");
      const segments = (payload(done)["segments"] as { pa: number }[]).map((s, i) => (i === 0 ? { ...s, pa: s.pa + 0x1000 } : s));
      const log = editLog(run.log, (es) => replace(es, done, { payload: { ...payload(done), segments } }));
      const walk = auditLogFile(log).invariants.violations.find((v) => v.invariant === "accesses-within-mappings")?.events[0]?.id ?? "?";
      expect(walk).toMatch(/^gpu0\.mmu:/);
      return { log, proof: [[walk, req.id, done.id]] };
    },
  },
  "faults-are-raised-and-final": {
    base: "mmu-fault",
    edit: "job app-2's AsFaultRaised removed, and its JobFaulted turned into a JobCompleted",
    plant(run) {
      const raised = find(run.events, "AsFaultRaised", (p) => p["job"] === "app-2");
      const answer = find(run.events, "TranslationCompleted", (p) => p["job"] === "app-2");
      const faulted = find(run.events, "JobFaulted", (p) => p["job"] === "app-2");
      const log = editLog(run.log, (es) =>
        replace(es.filter((e) => e.id !== raised.id), faulted, { type: "JobCompleted", payload: { job: "app-2", as: 1, cores: 0x50005, cycles: 300000, runNs: 250000 } }),
      );
      return { log, proof: [[answer.id], [answer.id, faulted.id]] };
    },
  },
  "resets-resolve": {
    base: "reset-stuck",
    edit: "the probe's failure reports removed from a stuck reset's log, which now ends 120 ms in",
    plant(run) {
      const write = find(run.events, "MmioWriteIssued", (p) => p["offset"] === GPU_CONTROL.GPU_CMD && p["value"] === GPU_CMD.SOFT_RESET);
      const log = editLog(run.log, (es) => es.filter((e) => e.type !== "ProbeStepFailed" && e.type !== "DeviceProbeFailed").map((e) => (e.type === "RunEnded" ? { ...e, timeNs: 120_000_000 } : e)));
      return { log, proof: [[write.id]] };
    },
  },
  "ring-pointers-monotonic": {
    base: "submit",
    edit: "a copy of the last SyncObjectUpdated inserted after it with seqno 0",
    plant(run) {
      const sync = last(run.events, "SyncObjectUpdated");
      const back = { ...sync, id: "gpu0.fw:999999", payload: { ...payload(sync), seqno: "0" } };
      return { log: editLog(run.log, (es) => insertAfter(es, sync, back)), proof: [[sync.id, back.id]] };
    },
  },
  "mcu-status-transitions": {
    base: "submit",
    edit: "the MCU's boot McuStatusChanged says HALT instead of ENABLED",
    plant(run) {
      const enabled = find(run.events, "McuStatusChanged", (p) => p["status"] === 1);
      const reset = [...run.events].reverse().find((e) => e.type === "GpuSoftResetCompleted" && e.seq < enabled.seq)!;
      return { log: editLog(run.log, (es) => replace(es, enabled, { payload: { status: 2 } })), proof: [[reset.id, enabled.id]] };
    },
  },
  "irqs-serviced": {
    base: "mmu-fault",
    edit: "the MMU line's deassertions removed, and the run's last instant moved to 20 ms",
    plant(run) {
      const asserted = find(run.events, "IrqLineChanged", (p) => p["line"] === "mmu" && p["asserted"] === true);
      const log = editLog(run.log, (es) =>
        es.filter((e) => !(e.type === "IrqLineChanged" && payload(e)["line"] === "mmu" && payload(e)["asserted"] === false)).map((e) => (e.timeNs === 5_000_000 ? { ...e, timeNs: 20_000_000 } : e)),
      );
      return { log, proof: [[asserted.id]] };
    },
  },
  "handles-stay-in-file": {
    base: "mmu-fault",
    edit: "client 2's VM_BIND names GEM handle 2, which only file 1 holds",
    plant(run) {
      const bind = find(run.events, "IoctlIssued", (p) => p["tag"] === "map2");
      const done = find(run.events, "IoctlCompleted", (p) => p["tag"] === "map2");
      const owner = find(run.events, "GemObjectCreated", (p) => p["file"] === 1 && p["handle"] === 2);
      const log = editLog(run.log, (es) => replace(es, bind, withOps(bind, (o) => ({ ...o, bo_handle: 2 }))));
      const proof = auditLogFile(log).invariants.violations.find((v) => v.invariant === "handles-stay-in-file")?.events.map((x) => x.id) ?? [];
      expect(proof).toContain(owner.id);
      expect(proof.slice(-2)).toEqual([bind.id, done.id]);
      return { log, proof: [proof] };
    },
  },
  "page-tables-match-gpuvm": {
    base: "mmu-fault",
    edit: "the VM_BIND of file 1 asks for a read-only mapping (the page tables, written by the real run, are writable)",
    plant(run) {
      const bind = find(run.events, "IoctlIssued", (p) => p["tag"] === "map");
      const activated = find(run.events, "VmActivated", (p) => p["file"] === 1);
      const log = editLog(run.log, (es) => replace(es, bind, withOps(bind, (o) => ({ ...o, flags: 1 }))));
      const proof = auditLogFile(log).invariants.violations.find((v) => v.invariant === "page-tables-match-gpuvm")?.events.map((x) => x.id) ?? [];
      expect(proof.at(-1)).toBe(activated.id);
      return { log, proof: [proof] };
    },
  },
  "fences-signal-once": {
    base: "submit",
    edit: "a copy of fence 3's JobFenceSignalled inserted after it",
    plant(run) {
      const signal = find(run.events, "JobFenceSignalled", (p) => p["fence"] === 3);
      const again = { ...signal, id: "drv0:999999", payload: { ...payload(signal), error: -125 } };
      return { log: editLog(run.log, (es) => insertAfter(es, signal, again)), proof: [[signal.id, again.id]] };
    },
  },
  "no-alloc-in-fence-signalling": {
    edit: "a GFP_KERNEL SignallingPathAllocated inserted just before fence 3's JobFenceSignalled, in the job worker's signalling section",
    base: "submit",
    plant(run) {
      const submitted = find(run.events, "JobSubmitted", (p) => p["fence"] === 3);
      const signal = find(run.events, "JobFenceSignalled", (p) => p["fence"] === 3);
      const { file, group, queue, job, fence } = payload(signal);
      const alloc: Envelope = {
        ...signal, id: "drv0:999998", type: "SignallingPathAllocated",
        payload: { thread: "job-worker", section: "job completion", site: "planted kmalloc", gfp: "GFP_KERNEL", bytes: 64, mayReclaim: true, outcome: "allocated", job: { file, group, queue, job, fence } },
      };
      return { log: editLog(run.log, (es) => es.flatMap((e) => (e.id === signal.id ? [alloc, e] : [e]))), proof: [[submitted.id, alloc.id]] };
    },
  },
  "fences-signal-in-bound": {
    base: "submit",
    edit: "fence 3's JobFenceSignalled removed, and the run's end moved to 2 s, long after its group was terminated",
    plant(run) {
      const submitted = find(run.events, "JobSubmitted", (p) => p["fence"] === 3);
      const ring = find(run.events, "JobRingWritten", (p) => p["job"] === payload(submitted)["job"]);
      const terminated = find(run.events, "GroupStateChanged", (p) => p["group"] === 2 && p["state"] === "terminated");
      const log = editLog(run.log, (es) => es.filter((e) => !(e.type === "JobFenceSignalled" && payload(e)["fence"] === 3)).map((e) => (e.type === "RunEnded" ? { ...e, timeNs: 2_000_000_000 } : e)));
      return { log, proof: [[submitted.id, ring.id, terminated.id]] };
    },
  },
};

const broken = (r: AuditReport) => [...new Set(r.invariants.violations.map((v) => v.invariant))];

describe("planted violations: each invariant flags exactly the edit that breaks it", () => {
  let runs: Runs;
  beforeAll(async () => {
    const bases: Base[] = ["job-faults", "mmu-fault", "reset-stuck", "submit"];
    const logged = await Promise.all(bases.map((b) => runLogged({ file: `scenarios/${b}.yaml` })));
    runs = Object.fromEntries(bases.map((b, i) => [b, logged[i]!])) as Runs;
  }, 120_000);

  it.each(Object.entries(PLANTS))("flags only %s, naming the events that prove it", (name, plant) => {
    // given a clean log of a real scenario
    const run = runs[plant.base];
    expect(auditLogFile(run.log).invariants.violations).toEqual([]);
    // when it is hand-edited as the plant says
    const { log, proof } = plant.plant(run);
    const r = auditLogFile(log);
    // then exactly this invariant broke, and its violations name the planted events
    expect(broken(r), plant.edit).toEqual([name]);
    expect(r.invariants.violations.map((v) => v.events.map((x) => x.id))).toEqual(proof);
    expect(r.verdict.clean).toBe(false);
  });

  it("has a planted violation for every invariant the audit checks", () => {
    const missing = INVARIANTS.map((d) => d.name).filter((n) => !(n in PLANTS));
    expect(missing, `add a planted violation to test/auditPlanted.test.ts for: ${missing.join(", ")}`).toEqual([]);
  });
});
