import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { G610, runLogged, type LoggedRun } from "../../../test/support/auditRuns.ts";
import { INVARIANTS, InvariantSuite, type InvariantDef } from "./index.ts";

/** An event of `type` at `seq`. */
const event = (type: string, seq: number): Envelope => ({
  id: `x:${seq}`, run: "t-1", seq, timeNs: seq, depth: 0, source: "x", subject: "tyrsim.t-1.gpu0.x", type, cause: null, payload: {},
});

/** A checker that reports every event it is handed, as `<name> saw <type>#<seq>`. */
const recorder = (name: string, reads?: readonly string[]): InvariantDef => ({
  name,
  statement: name,
  ...(reads !== undefined ? { reads: reads.map((type) => ({ type, payload: {} as never, description: type })) } : {}),
  create: (report) => ({
    push: (e) => report({ message: `${e.type}#${e.seq}`, timeNs: e.timeNs, events: [] }),
    finish: () => {},
  }),
});

/** The violations of `events` through a suite of `defs`. */
const violationsOf = (events: readonly Envelope[], defs: readonly InvariantDef[]) => {
  const suite = new InvariantSuite({ model: G610 }, defs);
  for (const e of events) suite.push(e);
  return suite.finish({ timeNs: events[events.length - 1]?.timeNs ?? 0, ended: true });
};

describe("the invariant suite", () => {
  it("hands a checker that declares what it reads only those events, and one that does not every event, in log order", () => {
    const events = ["A", "B", "C", "A", "B"].map((t, i) => event(t, i));
    const seen = violationsOf(events, [recorder("only-a", ["A"]), recorder("all"), recorder("b-and-c", ["B", "C"])]).map((v) => `${v.invariant} saw ${v.message}`);
    expect(seen).toEqual([
      "only-a saw A#0", "all saw A#0", "all saw B#1", "b-and-c saw B#1", "all saw C#2", "b-and-c saw C#2", "only-a saw A#3", "all saw A#3", "all saw B#4", "b-and-c saw B#4",
    ]);
  });

  describe("on a run that breaks invariants", () => {
    let run: LoggedRun;
    beforeAll(async () => {
      run = await runLogged({ file: "scenarios/memory-pressure-deadlock.yaml" });
    }, 60_000);

    it("finds the same violations, in the same order, as when every checker is handed every event", () => {
      const everything = INVARIANTS.map(({ reads: _reads, ...d }) => d);
      const routed = violationsOf(run.events, INVARIANTS);
      expect(routed.length).toBeGreaterThan(0);
      expect(routed).toEqual(violationsOf(run.events, everything));
    });
  });
});
