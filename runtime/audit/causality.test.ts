import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { attribute } from "./attribution.ts";
import { Causality } from "./causality.ts";
import { refOf } from "./eventRef.ts";
import { FaultLedger } from "./faultLedger.ts";

let seq = 0;
const ev = (id: string, type: string, cause: string | null, payload: unknown = {}, timeNs = 0): Envelope => ({
  id, run: "r", seq: seq++, timeNs, depth: 0, source: id.slice(0, id.lastIndexOf(":")), subject: "tyrsim.r.gpu0.x", type, cause, payload,
});

describe("causality tracking from injected faults", () => {
  it("follows a fault to the events of the reaction that applied it and their descendants, and nothing else", () => {
    // given a fault armed by the shader cores, and the dispatch that triggers it
    const fault = ev("scenario:0", "FaultInjected", null, { fault: { kind: "job-hang", gpu: 0 } });
    const armed = ev("gpu0.shader:0", "FaultArmed", fault.id, { fault: fault.id });
    const trigger = ev("scenario:1", "JobDispatched", null);
    const before = ev("gpu0.shader:1", "DomainUtilisationReported", trigger.id);
    const applied = ev("gpu0.shader:2", "FaultApplied", trigger.id, { fault: fault.id });
    const effect = ev("gpu0.shader:3", "TranslationRequested", trigger.id);
    const bystander = ev("gpu0.fw:7", "CsIdle", trigger.id);
    const answer = ev("gpu0.mmu:0", "TranslationCompleted", effect.id);
    const started = ev("gpu0.shader:4", "JobStarted", answer.id);
    // when the events stream through the tracker
    const c = new Causality();
    for (const e of [fault, armed, trigger, before, applied, effect, bystander, answer, started]) c.push(e);
    // then the fault's facts, the effects after FaultApplied and their descendants are its; the rest is not
    expect([armed, applied, effect, answer, started].map((e) => c.faultOf(e.id))).toEqual(Array(5).fill(fault.id));
    expect([trigger, before, bystander].map((e) => c.faultOf(e.id))).toEqual([undefined, undefined, undefined]);
    expect(c.chain(started.id).map((r) => r.id)).toEqual([fault.id, applied.id, effect.id, answer.id, started.id]);
  });

  it("stops spreading at its bound and says so", () => {
    const c = new Causality(2);
    c.push(ev("scenario:9", "FaultInjected", null, { fault: { kind: "dvfs-stuck", gpu: 0 } }));
    c.push(ev("gpu0.pwr:0", "FrequencyChanged", "scenario:9"));
    c.push(ev("gpu0.shader:0", "JobCompleted", "gpu0.pwr:0"));
    expect(c.faultOf("gpu0.shader:0")).toBeUndefined();
    expect(c.truncated).toBe(true);
  });

  it("blames an absence on the fault of the matching kind that acted before it, over an unrelated causal chain", () => {
    // given an MMU fault injected (the access descends from it) and a lost MMU interrupt applied before the access
    const lost = ev("injector:0", "FaultInjected", null, { fault: { kind: "irq-lost", gpu: 0, line: "mmu" } }, 10);
    const lostArmed = ev("gpu0.regs:0", "FaultArmed", lost.id, { fault: lost.id, kind: "irq-lost", gpu: 0, waitsFor: "x" }, 10);
    const bad = ev("scenario:0", "FaultInjected", null, { fault: { kind: "mmu-fault", gpu: 0, fault: "translation" } }, 20);
    const raised = ev("gpu0.mmu:0", "AsFaultRaised", bad.id, {}, 30);
    const c = new Causality();
    const ledger = new FaultLedger();
    for (const e of [lost, lostArmed, bad, raised]) {
      ledger.push(e);
      c.push(e);
    }
    // when the never-handled fault is attributed
    const a = attribute(refOf(raised), 0, "mmu-fault-unhandled", c, ledger);
    // then the lost interrupt is named (correlated), while the fault itself is blamed on the bad access (causal)
    expect([a?.fault, a?.confidence]).toEqual([lost.id, "correlated"]);
    expect(attribute(refOf(raised), 0, "mmu-fault", c, ledger)).toMatchObject({ fault: bad.id, confidence: "causal" });
  });
});
