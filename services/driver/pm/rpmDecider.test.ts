import { describe, expect, it } from "vitest";
import { decideRpm, evolveRpm, initialRpmState, RpmUsageUnderflowError, type RpmCommand, type RpmFact, type RpmState } from "./rpmDecider.ts";

const MS = 1_000_000;
const config = { autosuspendDelayNs: 50 * MS };

/** Run commands from `state`, returning the facts of each and the final state. */
function given(state: RpmState, ...cmds: RpmCommand[]): { facts: RpmFact["type"][][]; state: RpmState; all: RpmFact[] } {
  const facts: RpmFact["type"][][] = [];
  const all: RpmFact[] = [];
  let s = state;
  for (const c of cmds) {
    const fs = decideRpm(c, s, config);
    facts.push(fs.map((f) => f.type));
    all.push(...fs);
    s = fs.reduce(evolveRpm, s);
  }
  return { facts, state: s, all };
}

/** The device after probe: init reference dropped at t = 0, timer armed for 50 ms. */
const probed = given(initialRpmState, { type: "markLastBusy", nowNs: 0 }, { type: "putAutosuspend", nowNs: 0 }).state;
const suspended = given(probed, { type: "timerExpired", nowNs: 50 * MS }, { type: "suspendFinished", nowNs: 50 * MS }).state;

describe("runtime PM decider", () => {
  it("arms the autosuspend timer at last_busy + delay when the last reference goes", () => {
    const r = given(initialRpmState, { type: "markLastBusy", nowNs: 0 }, { type: "putAutosuspend", nowNs: 0 });
    expect(r.all.at(-1)).toEqual({ type: "autosuspendArmed", expiresNs: 50 * MS });
    expect(r.state).toMatchObject({ status: "active", usageCount: 0, timerExpiresNs: 50 * MS });
  });

  it("suspends when the timer expires with no reference and no activity since", () => {
    const r = given(probed, { type: "timerExpired", nowNs: 50 * MS }, { type: "suspendFinished", nowNs: 51 * MS });
    expect(r.facts).toEqual([["autosuspendExpired", "suspendStarted"], ["suspended"]]);
    expect(r.state.status).toBe("suspended");
  });

  it("re-arms instead of suspending when the device was marked busy during the delay", () => {
    // given activity at 30 ms (a job completed), when the 50 ms timer fires
    const r = given(probed, { type: "get" }, { type: "markLastBusy", nowNs: 30 * MS }, { type: "putAutosuspend", nowNs: 30 * MS }, { type: "timerExpired", nowNs: 50 * MS });
    // then the put did not move the armed (earlier) timer, and its expiry re-arms it for 80 ms
    expect(r.facts[2]).toEqual(["usageChanged"]);
    expect(r.facts[3]).toEqual(["autosuspendExpired", "autosuspendArmed"]);
    expect(r.state.timerExpiresNs).toBe(80 * MS);
  });

  it("does not suspend while a reference is held, whatever the timer says", () => {
    const r = given(probed, { type: "get" }, { type: "timerExpired", nowNs: 50 * MS });
    expect(r.facts[1]).toEqual(["autosuspendExpired"]);
    expect(r.state.status).toBe("active");
  });

  it("resumes on a get when suspended and autosuspends again after the put", () => {
    const r = given(suspended, { type: "get" }, { type: "resumeFinished", nowNs: 100 * MS, errno: 0 }, { type: "markLastBusy", nowNs: 110 * MS }, { type: "putAutosuspend", nowNs: 110 * MS });
    expect(r.facts).toEqual([["usageChanged", "resumeStarted"], ["resumed"], ["lastBusyMarked"], ["usageChanged", "autosuspendArmed"]]);
    expect(r.state).toMatchObject({ status: "active", usageCount: 0, timerExpiresNs: 160 * MS });
  });

  it("defers a resume asked for during a suspend until the suspend is over", () => {
    const suspending = given(probed, { type: "timerExpired", nowNs: 50 * MS }).state;
    const r = given(suspending, { type: "get" }, { type: "suspendFinished", nowNs: 51 * MS });
    expect(r.facts).toEqual([["usageChanged", "resumeDeferred"], ["suspended", "resumeStarted"]]);
  });

  it("drops the references of waiters and stays suspended when the resume fails", () => {
    const r = given(suspended, { type: "get" }, { type: "get" }, { type: "resumeFinished", nowNs: 60 * MS, errno: -110 });
    expect(r.all.at(-1)).toEqual({ type: "resumeFailed", errno: -110, dropped: 2 });
    expect(r.state).toMatchObject({ status: "suspended", usageCount: 0 });
    // and a later get retries
    expect(given(r.state, { type: "get" }).facts).toEqual([["usageChanged", "resumeStarted"]]);
  });

  it("stays active when the suspend callback refuses (-EBUSY) and nothing marked the device busy", () => {
    const r = given(probed, { type: "timerExpired", nowNs: 50 * MS }, { type: "suspendRefused", nowNs: 50 * MS });
    expect(r.facts[1]).toEqual(["suspendAborted"]);
    expect(r.state).toMatchObject({ status: "active", timerExpiresNs: 0 });
  });

  it("suspends at once on a put whose last_busy is older than the delay", () => {
    // given a reference taken at 10 ms and dropped at 200 ms without marking the device busy
    const r = given(probed, { type: "get" }, { type: "putAutosuspend", nowNs: 200 * MS });
    // then the delay counted from last_busy (0) is long over: the suspend starts at once
    expect(r.facts[1]).toEqual(["usageChanged", "suspendStarted"]);
  });

  it("refuses a put without a reference", () => {
    expect(() => decideRpm({ type: "putAutosuspend", nowNs: 0 }, probed, config)).toThrow(RpmUsageUnderflowError);
  });

  it("ignores a stale timer expiry", () => {
    expect(given(probed, { type: "timerExpired", nowNs: 10 * MS }).facts).toEqual([[]]);
  });
});
