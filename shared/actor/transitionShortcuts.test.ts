import { describe, expect, it, vi } from "vitest";
import { assign, setup, type AnyStateMachine, type EventObject } from "xstate";
import { hostMachine } from "./hostedMachine.ts";
import { shortcutsFor } from "./transitionShortcuts.ts";
import { actorContext } from "./testActorContext.ts";
import { sendChecked, startHostedMachine } from "./xstateHost.ts";

type Note = (what: string) => void;
type LampEvent =
  | { type: "ON"; level: number }
  | { type: "OFF" }
  | { type: "DONE" }
  | { type: "PING" }
  | { type: "RESET" }
  | { type: "AGAIN" }
  | { type: "COUNT" }
  | { type: "NAP" }
  | { type: "BREAK" }
  | { type: "IGNORED" };

/**
 * A machine with what the shortcuts must get right and what they must leave to XState: guards
 * reading outside state and the event, targetless actions, params given as a function, entry and
 * exit actions, a guarded choice with an empty fallback, a root transition, a self-transition
 * that re-enters, `assign`, an `after` delay, and an action that throws. Each instance's context
 * is its own (made from its input), as a job machine's is.
 */
function lampMachine(note: Note, outside: { allowed: boolean }) {
  return setup({
    types: {} as { context: { count: number }; events: LampEvent; input: { count: number } },
    guards: {
      allowed: () => outside.allowed,
      bright: ({ event }, p: { min: number }) => event.type === "ON" && event.level >= p.min,
    },
    actions: {
      note: (_, p: { what: string }) => note(p.what),
      noteLevel: (_, p: { level: number }) => note(`level ${p.level}`),
      noteCount: ({ context }) => note(`count ${context.count}`),
      boom: () => {
        throw new RangeError("filament");
      },
    },
    delays: { NAP: 0.001 },
  }).createMachine({
    id: "lamp",
    initial: "off",
    context: ({ input }) => ({ count: input.count }),
    on: { RESET: { target: ".off", actions: { type: "note", params: { what: "reset" } } } },
    states: {
      off: {
        entry: { type: "note", params: { what: "enter off" } },
        exit: { type: "note", params: { what: "leave off" } },
        on: {
          ON: [
            { guard: { type: "bright", params: { min: 5 } }, target: "warming", actions: { type: "noteLevel", params: ({ event }) => ({ level: event.type === "ON" ? event.level : -1 }) } },
            { guard: "allowed", target: "warming" },
            {},
          ],
          PING: { actions: { type: "note", params: { what: "pong" } } },
          COUNT: { actions: [assign({ count: ({ context }) => context.count + 1 }), "noteCount", assign({ count: ({ context }) => context.count * 2 })] },
          NAP: "napping",
          BREAK: { actions: "boom" },
        },
      },
      warming: {
        entry: { type: "note", params: { what: "enter warming" } },
        on: { DONE: "on", OFF: "off", AGAIN: { target: "warming", reenter: true } },
      },
      on: {
        exit: { type: "note", params: { what: "leave on" } },
        on: { OFF: { target: "off", actions: { type: "note", params: { what: "switch off" } } }, PING: { actions: "noteCount" } },
      },
      napping: { after: { NAP: { target: "off", actions: { type: "note", params: { what: "woke" } } } } },
    },
  });
}

/**
 * A machine of two regions, as the CSG slot's: sibling transitions in each region, a state with
 * an `after` delay, a transition on a compound state, and an event both regions take at once.
 */
function slotMachine(note: Note) {
  return setup({
    types: {} as { events: { type: "WORK" } | { type: "IDLE" } | { type: "JOB"; n: number } | { type: "BOTH" } | { type: "STOP" } },
    actions: { note: (_, p: { what: string }) => note(p.what), job: ({ event }) => note(`job ${event.type === "JOB" ? event.n : -1}`) },
    delays: { HYST: 0.001 },
  }).createMachine({
    id: "slot",
    type: "parallel",
    states: {
      activity: {
        initial: "active",
        on: { STOP: { target: ".active", actions: { type: "note", params: { what: "stop" } } } },
        states: {
          active: { on: { IDLE: "waiting", BOTH: "idle" }, exit: { type: "note", params: { what: "leave active" } } },
          waiting: { on: { WORK: "active" }, after: { HYST: { target: "idle", actions: { type: "note", params: { what: "idle now" } } } } },
          idle: { entry: { type: "note", params: { what: "enter idle" } }, on: { WORK: { target: "active", actions: { type: "note", params: { what: "busy again" } } } } },
        },
      },
      progress: {
        initial: "quiet",
        states: {
          quiet: { on: { JOB: { target: "watching", actions: "job" }, BOTH: { target: "watching", actions: { type: "note", params: { what: "both" } } } } },
          watching: { on: { JOB: { target: "quiet", actions: "job" } } },
        },
      },
    },
  });
}

/**
 * A machine that finishes, as a shader job's does: no entry action in its initial state (so a new
 * instance's first snapshot may be copied), a transient state whose `always` reads outside state,
 * a state whose `always` can stay disabled while events arrive, `assign` on the way into a final
 * state, exit actions on the final state and the root, and a root transition to a final state.
 */
function taskMachine(note: Note, outside: { allowed: boolean }) {
  return setup({
    types: {} as { context: { n: number }; events: { type: "START" } | { type: "FINISH" } | { type: "FAIL" } | { type: "PARK" } | { type: "POKE" } | { type: "CANCEL" }; input: { n: number } },
    guards: { allowed: () => outside.allowed },
    actions: { note: (_, p: { what: string }) => note(p.what), noteN: ({ context }) => note(`n ${context.n}`) },
  }).createMachine({
    id: "task",
    initial: "queued",
    context: ({ input }) => ({ n: input.n }),
    exit: { type: "note", params: { what: "root exit" } },
    on: { CANCEL: { target: ".cancelled", actions: { type: "note", params: { what: "cancel" } } } },
    states: {
      queued: { on: { START: "checking", PARK: "parked" } },
      checking: { always: [{ guard: "allowed", target: "running" }, { target: "queued", actions: { type: "note", params: { what: "refused" } } }] },
      parked: { always: { guard: "allowed", target: "running" }, on: { POKE: { actions: { type: "note", params: { what: "poke" } } } } },
      running: {
        entry: { type: "note", params: { what: "enter running" } },
        exit: { type: "note", params: { what: "leave running" } },
        on: { FINISH: { target: "done", actions: [assign({ n: ({ context }) => context.n * 10 }), "noteN"] }, FAIL: "failed", POKE: { actions: "noteN" } },
      },
      done: { type: "final", entry: "noteN", exit: { type: "note", params: { what: "done exit" } } },
      failed: { type: "final" },
      cancelled: { type: "final" },
    },
  });
}

/** Send an event now (with the outside flag set first), send one `laterNs` from now (a timer), or run every timer due. */
type Step = { readonly send: EventObject & Record<string, unknown>; readonly allowed?: boolean; readonly laterNs?: number } | "timers";
type Built = { machine: AnyStateMachine; input?: unknown };

/** Run a script through a hosted machine (shortcuts) or an XState actor; every publication, and the state (and timers pending) after each step. */
function play(kind: "actor" | "hosted", build: (note: Note, outside: { allowed: boolean }) => Built, steps: readonly Step[]) {
  const env = actorContext();
  const outside = { allowed: false };
  const { machine, input } = build(env.note, outside);
  const opts = { id: "m1", ...(input !== undefined ? { input } : {}) };
  const m = kind === "actor" ? startHostedMachine(env.ctx, machine, opts as never) : hostMachine(env.ctx, machine, opts as never);
  const states: string[] = [];
  for (const step of steps) {
    if (step === "timers") env.runAll();
    else if (step.laterNs !== undefined) {
      const event = step.send;
      env.ctx.timer(`later-${states.length}`, () => (sendChecked(m as never, event as never), "norestart")).start(step.laterNs, "rel");
    } else {
      outside.allowed = step.allowed ?? outside.allowed;
      try {
        sendChecked(m as never, step.send as never);
      } catch (e) {
        states.push(`failed: ${(e as Error).message}`);
      }
    }
    const s = m.getSnapshot() as { value: unknown; status: string; context: unknown };
    states.push(`${JSON.stringify(s.value)} ${s.status} ${JSON.stringify(s.context)} timers ${env.scheduler.pending}`);
  }
  return { drafts: env.drafts.map((d) => `${d.id}@${d.timeNs} ${(d.payload as { what: string }).what}`), states };
}

const lamp = (count: number) => (note: Note, outside: { allowed: boolean }): Built => ({ machine: lampMachine(note, outside), input: { count } });
const cycle: Step[] = [{ send: { type: "ON", level: 9 } }, { send: { type: "DONE" } }, { send: { type: "PING" } }, { send: { type: "OFF" } }];
const sendAll = (m: { send(e: never): void }, steps: readonly Step[]) => {
  for (const s of steps) if (s !== "timers") sendChecked(m as never, s.send as never);
};

describe("transition shortcuts", () => {
  it("publish, in the same order, and end in the same states as an XState actor on every kind of transition", () => {
    // given a script through every case: plain transitions (twice, so the second takes the
    // shortcut), guarded choices, an ignored event, a targetless action, a root transition, a
    // re-entry, an assign between plain transitions, a delay, and an action that throws
    const steps: Step[] = [
      ...cycle,
      ...cycle,
      { send: { type: "ON", level: 1 } },
      { send: { type: "ON", level: 1 }, allowed: true },
      { send: { type: "AGAIN" } },
      { send: { type: "IGNORED" } },
      { send: { type: "RESET" } },
      { send: { type: "PING" } },
      { send: { type: "COUNT" } },
      ...cycle,
      { send: { type: "NAP" } },
      "timers",
      { send: { type: "COUNT" } },
      { send: { type: "NAP" } },
      { send: { type: "COUNT" } },
      "timers",
      ...cycle,
      { send: { type: "RESET" } },
      { send: { type: "BREAK" } },
      { send: { type: "PING" } },
    ];
    // when a hosted machine and an XState actor play it
    const hosted = play("hosted", lamp(3), steps);
    // then both publish the same notes under the same ids, and pass through the same states
    expect(hosted).toEqual(play("actor", lamp(3), steps));
    expect(hosted.drafts.filter((d) => d.endsWith("level 9"))).toHaveLength(4);
    expect(hosted.states.at(-2)).toMatch(/^failed: machine 'm1' failed: filament/);
    expect(hosted.states.at(-1)).toBe('"off" error {"count":18} timers 0');
    expect(hosted.drafts.filter((d) => d.endsWith("woke"))).toHaveLength(2);
  });

  it("keep a machine of parallel regions in step with an XState actor", () => {
    // given a script through both regions: sibling moves (repeated), a delay, a compound state's
    // transition, and an event both regions take
    // (idle waiting cut short, then waiting again later: the first wait's timer must not end the second early)
    const cancelled: Step[] = [{ send: { type: "IDLE" } }, { send: { type: "WORK" } }, { send: { type: "IDLE" }, laterNs: 600_000 }, "timers", { send: { type: "WORK" } }];
    const round: Step[] = [{ send: { type: "JOB", n: 1 } }, { send: { type: "IDLE" } }, { send: { type: "WORK" } }, { send: { type: "JOB", n: 2 } }];
    const steps: Step[] = [...round, ...round, { send: { type: "IDLE" } }, "timers", { send: { type: "WORK" } }, { send: { type: "IDLE" } }, "timers", { send: { type: "WORK" } }, ...round, { send: { type: "BOTH" } }, { send: { type: "STOP" } }, { send: { type: "JOB", n: 3 } }, { send: { type: "BOTH" } }, { send: { type: "STOP" } }, ...round, { send: { type: "IDLE" } }, { send: { type: "STOP" } }, ...round, "timers", ...cancelled, ...cancelled];
    const slot = (note: Note): Built => ({ machine: slotMachine(note) });
    // when both play it, then they agree
    const hosted = play("hosted", slot, steps);
    expect(hosted).toEqual(play("actor", slot, steps));
    expect(hosted.drafts.filter((d) => d.endsWith("busy again"))).toHaveLength(4);
  });

  it("leave XState's macrostep out once a transition has been taken, for every instance of the machine", () => {
    // given a hosted lamp that has been through a power cycle once
    const env = actorContext();
    const machine = lampMachine(env.note, { allowed: false });
    const first = hostMachine(env.ctx, machine, { id: "lamp1", input: { count: 1 } });
    sendAll(first, cycle);
    // when it cycles again, and a second lamp of the same machine (its own context) cycles
    const transition = vi.spyOn(machine, "transition");
    for (let i = 0; i < 3; i++) sendAll(first, cycle);
    const second = hostMachine(env.ctx, machine, { id: "lamp2", input: { count: 7 } });
    sendAll(second, cycle);
    // then no event went through XState's transition(), and the actions ran all the same
    expect(transition).not.toHaveBeenCalled();
    expect(env.drafts.filter((d) => (d.payload as { what: string }).what === "switch off")).toHaveLength(5);
    // with each lamp's own context in its snapshot
    expect(second.getSnapshot().context).toEqual({ count: 7 });
    sendChecked(second, { type: "ON", level: 9 });
    sendChecked(second, { type: "DONE" });
    sendChecked(second, { type: "PING" });
    expect(env.drafts.at(-1)?.payload).toEqual({ what: "count 7" });
    // and a re-entry still goes through XState
    sendChecked(first, { type: "ON", level: 9 });
    sendChecked(first, { type: "AGAIN" });
    expect(transition).toHaveBeenCalledTimes(1);
  });

  it("keep machines that finish, and machines with always transitions, in step with XState actors, instance after instance", () => {
    // given task instances run one after another (the later ones take the shortcuts the earlier
    // ones learnt): finishing with an assign, failing, refused and parked by an always, poked
    // while an always stays disabled then moved by it on a poke once allowed, and cancelled from the root
    const runs: { n: number; steps: Step[] }[] = [
      { n: 1, steps: [{ send: { type: "START" }, allowed: true }, { send: { type: "POKE" } }, { send: { type: "FINISH" } }, { send: { type: "POKE" } }] },
      { n: 2, steps: [{ send: { type: "START" } }, { send: { type: "FINISH" } }, { send: { type: "POKE" } }] },
      { n: 3, steps: [{ send: { type: "START" }, allowed: false }, { send: { type: "START" }, allowed: true }, { send: { type: "FAIL" } }] },
      { n: 4, steps: [{ send: { type: "PARK" }, allowed: false }, { send: { type: "POKE" } }, { send: { type: "POKE" }, allowed: true }, { send: { type: "FINISH" } }] },
      { n: 5, steps: [{ send: { type: "START" } }, { send: { type: "CANCEL" } }] },
      { n: 6, steps: [{ send: { type: "START" } }, { send: { type: "FINISH" } }] },
    ];
    const task = (n: number) => (note: Note, outside: { allowed: boolean }): Built => ({ machine: taskMachine(note, outside), input: { n } });
    const playAll = (kind: "actor" | "hosted") => runs.map((r) => play(kind, task(r.n), r.steps));
    // when hosted machines and XState actors play them, then they publish and pass through the same
    const hosted = playAll("hosted");
    expect(hosted).toEqual(playAll("actor"));
    expect(hosted[0]?.drafts.slice(-5)).toEqual(["m:2@0 leave running", "m:3@0 n 10", "m:4@0 n 10", "m:5@0 done exit", "m:6@0 root exit"]);
    expect(hosted[0]?.states.at(-1)).toBe('"done" done {"n":10} timers 0');
    expect(hosted[3]?.drafts.map((d) => d.split(" ").slice(1).join(" "))).toEqual(["poke", "poke", "enter running", "leave running", "n 40", "n 40", "done exit", "root exit"]);
  });

  it("copy a new instance's first snapshot and finish it without XState once another instance has", () => {
    // given a task machine one instance has run to completion
    const env = actorContext();
    const outside = { allowed: true };
    const machine = taskMachine(env.note, outside);
    const first = hostMachine(env.ctx, machine, { id: "t1", input: { n: 1 } });
    sendAll(first, [{ send: { type: "START" } }, { send: { type: "FINISH" } }]);
    // when a second instance is made and runs from running to done
    const initial = vi.spyOn(machine, "getInitialSnapshot");
    const second = hostMachine(env.ctx, machine, { id: "t2", input: { n: 7 } });
    sendChecked(second, { type: "START" });
    const transition = vi.spyOn(machine, "transition");
    sendChecked(second, { type: "FINISH" });
    // then neither its first snapshot nor its finish went through XState, and both are its own
    expect(initial).not.toHaveBeenCalled();
    expect(transition).not.toHaveBeenCalled();
    expect(second.getSnapshot().status).toBe("done");
    expect(second.getSnapshot().context).toEqual({ n: 70 });
    expect(first.getSnapshot().context).toEqual({ n: 10 });
    expect(env.drafts.slice(-5).map((d) => (d.payload as { what: string }).what)).toEqual(["leave running", "n 70", "n 70", "done exit", "root exit"]);
  });

  it("are refused to machines whose snapshot is more than its states (history), and to configurations where an always is active", () => {
    const env = actorContext();
    expect(shortcutsFor(lampMachine(env.note, { allowed: true }))).not.toBeNull();
    expect(shortcutsFor(slotMachine(env.note))).not.toBeNull();
    const history = setup({}).createMachine({ initial: "a", states: { a: { initial: "x", states: { x: {}, h: { type: "history" } } } } });
    expect(shortcutsFor(history)).toBeNull();
    // a parked task: every event goes to XState, which may move it by the always
    const outside = { allowed: false };
    const machine = taskMachine(env.note, outside);
    const parked = hostMachine(env.ctx, machine, { id: "p1", input: { n: 2 } });
    sendChecked(parked, { type: "PARK" });
    const transition = vi.spyOn(machine, "transition");
    sendChecked(parked, { type: "POKE" });
    sendChecked(parked, { type: "POKE" });
    expect(transition).toHaveBeenCalledTimes(2);
    expect(parked.getSnapshot().value).toBe("parked");
  });
});
