import { describe, expect, it } from "vitest";
import { assign, raise, setup } from "xstate";
import { hostMachine } from "./hostedMachine.ts";
import { actorContext } from "./testActorContext.ts";
import { MachineFailedError, sendChecked, startHostedMachine } from "./xstateHost.ts";

type Note = (what: string) => void;
type TestEvent = { type: "GO" } | { type: "POKE" } | { type: "BOOM" } | { type: "FINISH" } | { type: "SELF" };

/**
 * A machine using what the hosted machines of tyrsim use: parallel regions, entry/exit actions,
 * `after` delays re-armed by re-entry, `assign`, `raise`, a final state, an action that throws
 * and an action that sends to its own machine.
 */
function testMachine(note: Note, sendSelf: () => void) {
  return setup({
    types: {} as { context: { pokes: number }; events: TestEvent },
    actions: {
      note: (_, p: { what: string }) => note(p.what),
      boom: () => {
        throw new RangeError("bad register");
      },
      sendSelf: () => sendSelf(),
    },
    delays: { SHORT: 0.000_5, LONG: 0.002 },
  }).createMachine({
    id: "t",
    type: "parallel",
    context: { pokes: 0 },
    on: { FINISH: { target: [".work.finished", ".watch.done"] } },
    states: {
      work: {
        initial: "idle",
        states: {
          finished: { type: "final" },
          idle: { on: { GO: { target: "busy", actions: { type: "note", params: { what: "go" } } } } },
          busy: {
            entry: { type: "note", params: { what: "busy" } },
            exit: { type: "note", params: { what: "leave busy" } },
            on: {
              POKE: { target: "busy", reenter: true, actions: [assign({ pokes: ({ context }) => context.pokes + 1 }), raise({ type: "SELF" })] },
              SELF: { actions: { type: "note", params: { what: "raised" } } },
              BOOM: { actions: "boom" },
            },
            after: { SHORT: { target: "idle", actions: { type: "note", params: { what: "short" } } } },
          },
        },
      },
      watch: {
        initial: "on",
        states: {
          on: {
            after: { LONG: { target: "off", actions: { type: "note", params: { what: "long" } } } },
            on: { GO: { actions: ["sendSelf", { type: "note", params: { what: "sent self" } }] } },
          },
          off: {},
          done: { type: "final" },
        },
      },
    },
  });
}

/** Drive one host through a script, return what was published (ids carry the actor's counter, so timer arming shows too). */
function script(kind: "actor" | "hosted", steps: (send: (e: TestEvent) => void, env: ReturnType<typeof actorContext>) => void) {
  const env = actorContext();
  const host: { m?: { getSnapshot(): { value: unknown; status: string; context: unknown } } } = {};
  const send = (e: TestEvent) => sendChecked(host.m as never, e as never);
  const machine = testMachine(env.note, () => send({ type: "POKE" }));
  const m = (host.m = kind === "actor" ? startHostedMachine(env.ctx, machine, { id: "t1" }) : hostMachine(env.ctx, machine, { id: "t1" }));
  let failure: unknown;
  try {
    steps(send, env);
  } catch (e) {
    failure = e;
  }
  const s = m.getSnapshot();
  return { drafts: env.drafts.map((d) => `${d.id}@${d.timeNs} ${(d.payload as { what: string }).what}`), value: s.value, status: s.status, context: s.context, failure, pending: env.scheduler.pending };
}

describe("hostMachine", () => {
  it("runs actions, raises and after delays on virtual time in the same order as an XState actor", () => {
    // given the same script for an XState actor and a hosted machine
    const steps = (send: (e: TestEvent) => void, env: ReturnType<typeof actorContext>) => {
      send({ type: "GO" });
      send({ type: "POKE" });
      env.scheduler.step();
      env.runAll();
    };
    const hosted = script("hosted", steps);
    // then every publication (and every timer armed between them, by the ids) is the same
    expect(hosted).toEqual(script("actor", steps));
    expect(hosted.drafts).toContain("m:7@0 raised");
    expect(hosted.drafts.at(-1)).toBe("m:15@2000 long");
    expect(hosted.value).toEqual({ work: "idle", watch: "off" });
  });

  it("handles an event sent from inside an action after the transition that sent it", () => {
    const { drafts } = script("hosted", (send) => send({ type: "GO" }));
    // the GO of `watch` sends POKE: it is handled after GO has entered `busy`
    expect(drafts.map((d) => d.split(" ").slice(1).join(" "))).toEqual(["go", "sent self", "busy", "leave busy", "busy", "raised"]);
  });

  it("reports an action that throws as MachineFailedError, then ignores events and drops its pending delays", () => {
    const r = script("hosted", (send, env) => {
      send({ type: "GO" });
      try {
        send({ type: "BOOM" });
      } finally {
        env.runAll();
      }
    });
    expect(r.failure).toBeInstanceOf(MachineFailedError);
    expect((r.failure as Error).message).toBe("machine 't1' failed: bad register");
    expect(r.status).toBe("error");
    // neither the SHORT nor the LONG delay fired
    expect(r.drafts.some((d) => d.endsWith("short") || d.endsWith("long"))).toBe(false);
    expect(r).toEqual(script("actor", (send, env) => {
      send({ type: "GO" });
      try {
        send({ type: "BOOM" });
      } finally {
        env.runAll();
      }
    }));
  });

  it("cancels its pending delays when it reaches a final state", () => {
    const steps = (send: (e: TestEvent) => void, env: ReturnType<typeof actorContext>) => {
      send({ type: "FINISH" });
      env.runAll();
      send({ type: "GO" });
    };
    const r = script("hosted", steps);
    expect(r).toEqual(script("actor", steps));
    expect(r.status).toBe("done");
    expect(r.drafts).toEqual([]);
    expect(r.pending).toBe(0);
  });

  it("cancels its pending delays when stopped and keeps its last state", () => {
    const env = actorContext();
    const m = hostMachine(env.ctx, testMachine(env.note, () => {}), { id: "t2" });
    sendChecked(m, { type: "GO" });
    m.stop();
    env.runAll();
    sendChecked(m, { type: "POKE" });
    expect(m.getSnapshot().status).toBe("stopped");
    expect(m.getSnapshot().value).toEqual({ work: "busy", watch: "on" });
    expect(env.drafts.map((d) => (d.payload as { what: string }).what)).toEqual(["go", "sent self", "busy"]);
  });

  it("refuses a machine that invokes a child actor, naming the machine and the state", () => {
    const env = actorContext();
    const parent = setup({ actors: { child: setup({}).createMachine({ id: "child" }) } }).createMachine({ id: "p", initial: "a", states: { a: { invoke: { src: "child" } } } });
    expect(() => hostMachine(env.ctx, parent, { id: "t3" })).toThrow("machine 't3': state 'p.a' invokes a child actor");
  });
});
