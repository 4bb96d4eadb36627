/**
 * Every scenario audited: a scenario with an injected fault (a `FaultInjected` step, or one of the
 * older single-purpose fault events such as `PowerSupplyFaultArmed`) must be
 * explained by the audit — the fault named as the most likely cause, and each failure it should
 * show blamed on the right fault — from the expectations below; a scenario without one must audit
 * clean: no hang, no broken invariant, no fault to blame.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditLogFile } from "../runtime/audit/audit.ts";
import type { FaultKind } from "../services/faults/faultKinds.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { LEGACY_FAULT_TYPES } from "../services/faults/faultCatalogue.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { runLogged } from "./support/auditRuns.ts";

/** What the audit of a fault scenario must say. */
interface Expected {
  /** The verdict's most likely cause: the kind and label of the injected fault (older fault events have no label). */
  readonly cause: FaultKind;
  readonly label: string | undefined;
  /** For a piece of a failure's summary (a job, a group, a part), the kind of fault it must be blamed on. */
  readonly blamed: Readonly<Record<string, FaultKind>>;
}

/** One entry per scenario that injects a fault, keyed by scenario name. */
const EXPECTED: Readonly<Record<string, Expected>> = {
  "job-faults": { cause: "job-hang", label: "hang-1 never completes", blamed: { "job hang-1 ": "job-hang", "job ok-2 ": "shader-fault" } },
  "mmu-fault": { cause: "mmu-fault", label: "unmapped read by the 2nd job of AS1", blamed: { "(job app-2)": "mmu-fault", "(job tool-1)": "mmu-fault" } },
  "power-faults": { cause: "dvfs-stuck", label: "DVFS stuck", blamed: { "frequency change": "dvfs-stuck", "regulator mali": "supply-failure", "system RAM shrank": "memory-pressure" } },
  "dvfs": { cause: "supply-failure", label: undefined, blamed: { "clock core: enable failed": "supply-failure" } },
  "probe-failures": { cause: "supply-failure", label: undefined, blamed: { "regulator sram": "supply-failure", "probe failed at regulators": "supply-failure" } },
  "message-faults": { cause: "message-loss", label: "the first register-read answer is lost", blamed: { "read of register 0x20 (probe#0) was never answered": "message-loss" } },
  "reset-stuck": { cause: "reset-stuck", label: "soft reset never completes", blamed: { "probe failed at soft-reset": "reset-stuck" } },
  "hang-recovery": { cause: "job-hang", label: "the game's 2nd shader job (AS1) hangs", blamed: { "job csg0.cs0.job2 ": "job-hang", "job g1.q0.j2 (file 1 group 1 queue 0) timed out": "job-hang" } },
  "fw-watchdog": { cause: "firmware-ping-ignored", label: "the firmware stops answering pings", blamed: { "left GLB_PING unacknowledged": "firmware-ping-ignored", "FW ping timeout": "firmware-ping-ignored" } },
  "memory-pressure-deadlock": { cause: "memory-pressure", label: "64 KiB taken", blamed: { "job g1.q0.j1 (file 1 group 1 queue 0) stuck": "memory-pressure", "job g2.q0.j1 (file 1 group 2 queue 0) stuck": "memory-pressure" } },
  "memory-pressure-safe": { cause: "memory-pressure", label: "64 KiB taken", blamed: { "system RAM shrank": "memory-pressure" } },
};

/** Failures that mean something stopped for good (a hang), which a scenario without faults must never show. */
const HANG_KINDS = new Set(["job-hung", "job-timed-out", "fence-deadlock", "firmware-unresponsive", "firmware-watchdog", "reset-failed", "firmware-crashed", "register-read-unanswered", "spinlock-deadlock", "hard-lockup"]);

/** Scenarios that show a driver bug without any injected fault: the failures the audit must report, in order, with no fault blamed. */
const DRIVER_BUGS: Readonly<Record<string, readonly string[]>> = {
  "led-deadlock": ["lockdep-report", "spinlock-deadlock", "hard-lockup"],
};

const registry = createCatalogue();
const scenarios = readdirSync("scenarios").filter((f) => f.endsWith(".yaml")).sort().map((f) => {
  const loaded = loadScenarioFile(join("scenarios", f), registry);
  return { file: join("scenarios", f), name: loaded.scenario.name, faulty: loaded.scenario.steps.some((s) => s.type === "FaultInjected" || s.type in LEGACY_FAULT_TYPES) };
});

describe("the audit of every fault scenario", () => {
  it.each(scenarios.filter((s) => s.faulty).map((s) => [s.name, s.file] as const))("names the injected fault and the jobs it hit in %s", async (name, file) => {
    const expected = EXPECTED[name];
    expect(expected, `scenario ${name} injects a fault but test/auditScenarios.test.ts has no EXPECTED entry for it: add one (cause, label, blamed)`).toBeDefined();
    // given a run of the scenario as `tyrsim run` makes it, when its log is audited
    const r = auditLogFile((await runLogged({ file })).log);
    // then the verdict blames the expected fault
    const cause = r.verdict.likelyCause;
    expect({ kind: cause?.kind, label: cause?.label }, r.verdict.summary).toEqual({ kind: expected!.cause, label: expected!.label });
    expect(r.faults.find((f) => f.id === cause!.fault)?.outcome).toBe("applied");
    // and every failure it should show is there, blamed on the right kind of fault
    for (const [piece, kind] of Object.entries(expected!.blamed)) {
      const failures = r.failures.filter((f) => f.summary.includes(piece));
      expect(failures.length, `no failure mentions “${piece}”: ${r.failures.map((f) => f.summary).join(" | ")}`).toBeGreaterThan(0);
      for (const f of failures) expect(f.cause?.kind, `${f.summary} is blamed on ${f.cause?.fault ?? "nothing"}`).toBe(kind);
    }
  }, 120_000);

  it("has no expectation left for a fault scenario that no longer exists", () => {
    const faulty = new Set(scenarios.filter((s) => s.faulty).map((s) => s.name));
    expect(Object.keys(EXPECTED).filter((n) => !faulty.has(n))).toEqual([]);
  });
});

describe("the audit of every scenario without an injected fault", () => {
  it.each(Object.entries(DRIVER_BUGS))("explains the driver bug of %s from the log alone, blaming no fault", async (name, kinds) => {
    // given a run of a scenario whose driver is buggy (no fault injected), when its log is audited
    const r = auditLogFile((await runLogged({ file: join("scenarios", `${name}.yaml`) })).log);
    // then the failures that prove the bug are reported in order, and nothing is blamed on a fault
    expect(r.failures.map((f) => f.kind).filter((k) => kinds.includes(k))).toEqual(kinds);
    expect(r.faults).toEqual([]);
    expect(r.verdict.likelyCause).toBeUndefined();
  }, 120_000);

  it.each(scenarios.filter((s) => !s.faulty && !(s.name in DRIVER_BUGS)).map((s) => [s.name, s.file] as const))("finds %s clean: no hang, no broken invariant, no fault to blame", async (_name, file) => {
    // given a run of the scenario, when its log is audited
    const r = auditLogFile((await runLogged({ file })).log);
    // then nothing hung, no invariant broke and no fault was injected or blamed
    expect(r.invariants.violations).toEqual([]);
    expect(r.failures.filter((f) => HANG_KINDS.has(f.kind)).map((f) => f.summary)).toEqual([]);
    expect(r.faults).toEqual([]);
    expect(r.verdict.likelyCause).toBeUndefined();
  }, 120_000);
});
