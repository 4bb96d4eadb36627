import { describe, expect, it } from "vitest";
import { isValidPattern, isValidSubject, matchSubject, pathOf, SUBJECT_ROOT, subjectOf } from "./subjects.ts";

describe("matchSubject (NATS semantics)", () => {
  it.each([
    ["tyrsim.r1.gpu0.mmu.fault", "tyrsim.r1.gpu0.mmu.fault"],
    ["a", "a"],
  ])("matches the exact subject %s", (pattern, subject) => {
    expect(matchSubject(pattern, subject)).toBe(true);
  });

  it.each([
    ["tyrsim.r1.gpu0.mmu.fault", "tyrsim.r1.gpu0.mmu.faults", "a longer last token"],
    ["tyrsim.r1.gpu0.mmu.fault", "tyrsim.r1.gpu0.mmu", "a missing token"],
    ["tyrsim.r1.gpu0.mmu", "tyrsim.r1.gpu0.mmu.fault", "an extra token"],
    ["tyrsim.r1.gpu0", "tyrsim.r2.gpu0", "another run"],
    ["a.b", "a.B", "case"],
  ])("does not match %s against %s (%s)", (pattern, subject) => {
    expect(matchSubject(pattern, subject)).toBe(false);
  });

  it("matches `*` to exactly one token, anywhere", () => {
    expect(matchSubject("tyrsim.*.sys.error", "tyrsim.r1.sys.error")).toBe(true);
    expect(matchSubject("tyrsim.r1.gpu0.fw.csg.*.state", "tyrsim.r1.gpu0.fw.csg.3.state")).toBe(true);
    expect(matchSubject("tyrsim.r1.*", "tyrsim.r1.fault")).toBe(true);
    expect(matchSubject("*", "tyrsim")).toBe(true);
    expect(matchSubject("*.*", "a.b")).toBe(true);
  });

  it("does not match `*` to zero tokens or to several", () => {
    expect(matchSubject("tyrsim.r1.*", "tyrsim.r1")).toBe(false);
    expect(matchSubject("tyrsim.r1.*", "tyrsim.r1.gpu0.mmu")).toBe(false);
    expect(matchSubject("tyrsim.*.sys.error", "tyrsim.r1.x.sys.error")).toBe(false);
    expect(matchSubject("*", "a.b")).toBe(false);
  });

  it("matches `>` to one or more trailing tokens", () => {
    expect(matchSubject("tyrsim.r1.>", "tyrsim.r1.fault")).toBe(true);
    expect(matchSubject("tyrsim.r1.>", "tyrsim.r1.gpu0.fw.csg.3.state")).toBe(true);
    expect(matchSubject(">", "tyrsim")).toBe(true);
    expect(matchSubject(">", "tyrsim.r1.a.b.c")).toBe(true);
  });

  it("does not match `>` to zero tokens", () => {
    expect(matchSubject("tyrsim.r1.>", "tyrsim.r1")).toBe(false);
    expect(matchSubject("tyrsim.r1.gpu0.>", "tyrsim.r1")).toBe(false);
  });

  it("combines `*` and `>`", () => {
    expect(matchSubject("tyrsim.*.gpu0.>", "tyrsim.r7.gpu0.mmu.fault")).toBe(true);
    expect(matchSubject("tyrsim.*.gpu0.>", "tyrsim.r7.gpu1.mmu.fault")).toBe(false);
    expect(matchSubject("tyrsim.*.gpu0.>", "tyrsim.r7.gpu0")).toBe(false);
  });

  it("requires literal tokens before a `>` to match", () => {
    expect(matchSubject("tyrsim.r1.gpu0.>", "tyrsim.r1.gpu1.mmu")).toBe(false);
  });
});

describe("isValidSubject", () => {
  it.each(["tyrsim.r1.gpu0.mmu.fault", "a", "tyrsim.run-7_x.fw.csg.3.state", "_INBOX.memory.1", "µ.ü"])("accepts %s", (s) => {
    expect(isValidSubject(s)).toBe(true);
  });

  it.each([
    ["", "an empty subject"],
    ["tyrsim.*.sys", "a `*` wildcard"],
    ["tyrsim.r1.>", "a `>` wildcard"],
    ["tyrsim.r1*.sys", "a `*` inside a token"],
    ["tyrsim.r>1.sys", "a `>` inside a token"],
    ["tyrsim..sys", "an empty token in the middle"],
    [".tyrsim.sys", "a leading dot"],
    ["tyrsim.sys.", "a trailing dot"],
    ["tyrsim.r 1.sys", "a space"],
    ["tyrsim.r1.sys\t", "a tab"],
    ["tyrsim.r1\n.sys", "a newline"],
  ])("refuses %j (%s)", (s) => {
    expect(isValidSubject(s)).toBe(false);
  });
});

describe("isValidPattern", () => {
  it.each(["tyrsim.r1.gpu0.mmu.fault", "tyrsim.*.sys.error", "tyrsim.r1.>", ">", "*", "*.*.>", "tyrsim.*.gpu0.>"])("accepts %s", (p) => {
    expect(isValidPattern(p)).toBe(true);
  });

  it.each([
    ["", "an empty pattern"],
    ["tyrsim.>.sys", "`>` not last"],
    [">.a", "`>` first of several"],
    ["tyrsim.r1.>.>", "two `>`"],
    ["tyrsim.r1*.sys", "`*` inside a token"],
    ["tyrsim.r1.gpu>", "`>` inside a token"],
    ["tyrsim..sys", "an empty token"],
    ["tyrsim.sys.", "a trailing dot"],
    ["tyrsim. .sys", "a blank token"],
    ["tyrsim.r 1.>", "a space"],
  ])("refuses %j (%s)", (p) => {
    expect(isValidPattern(p)).toBe(false);
  });
});

describe("subjectOf and pathOf", () => {
  it("builds a full subject from a run and a path under the tyrsim root", () => {
    expect(SUBJECT_ROOT).toBe("tyrsim");
    expect(subjectOf("r1", "gpu0.mmu.fault")).toBe("tyrsim.r1.gpu0.mmu.fault");
    expect(subjectOf("r1", "fault.inject")).toBe("tyrsim.r1.fault.inject");
  });

  it("gives back the path of a subject it built", () => {
    for (const path of ["gpu0.mmu.fault", "sys.error", "drv.jobqueue.job.done", "x"]) {
      expect(pathOf(subjectOf("run-42", path))).toBe(path);
    }
  });

  it("has no path for a subject outside tyrsim or without one", () => {
    expect(pathOf("other.r1.gpu0")).toBeUndefined();
    expect(pathOf("tyrsim.r1")).toBeUndefined();
    expect(pathOf("tyrsim")).toBeUndefined();
    expect(pathOf("")).toBeUndefined();
  });

  it("builds subjects that are valid to publish, and patterns that match them", () => {
    const subject = subjectOf("r1", "gpu0.fw.csg.3.state");
    expect(isValidSubject(subject)).toBe(true);
    expect(matchSubject(subjectOf("r1", "gpu0.>"), subject)).toBe(true);
    expect(matchSubject(subjectOf("r1", "gpu0.fw.csg.*.state"), subject)).toBe(true);
  });
});
