import { describe, expect, it, vi } from "vitest";
import { assign, setup } from "xstate";
import { isFlatMachine } from "./flatTransitions.ts";
import { hostMachine } from "./hostedMachine.ts";
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
 * A flat machine (every state atomic, under the root) with what the fast path must get right and
 * what it must leave to XState: guards reading outside state and the event, targetless actions,
 * params given as a function, entry and exit actions, a guarded choice with an empty fallback, a
 * root transition, a self-transition that re-enters, `assign`, an `after` delay, and an action
 * that throws.
 */
function lampMachine(note: Note, outside: { allowed: boolean }) {
  return setup({
    types: {} as { context: { count: number }; events: LampEvent },
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
    context: { count: 0 },
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
          COUNT: { actions: [assign({ count: ({ context }) => context.count + 1 }), "noteCount"] },
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

type Step = { readonly send: LampEvent; readonly allowed?: boolean } | "timers";

/** Run a script through a hosted machine (fast path) or an XState actor; every publication, and the state after each step. */
function play(kind: "actor" | "hosted", steps: readonly Step[]) {
  const env = actorContext();
  const outside = { allowed: false };
  const machine = lampMachine(env.note, outside);
  const m = kind === "actor" ? startHostedMachine(env.ctx, machine, { id: "lamp1" }) : hostMachine(env.ctx, machine, { id: "lamp1" });
  const states: string[] = [];
  for (const step of steps) {
    if (step === "timers") env.runAll();
    else {
      outside.allowed = step.allowed ?? outside.allowed;
      try {
        sendChecked(m as never, step.send as never);
      } catch (e) {
        states.push(`failed: ${(e as Error).message}`);
      }
    }
    const s = m.getSnapshot() as { value: unknown; status: string; context: unknown };
    states.push(`${JSON.stringify(s.value)} ${s.status} ${JSON.stringify(s.context)}`);
  }
  return { drafts: env.drafts.map((d) => `${d.id}@${d.timeNs} ${(d.payload as { what: string }).what}`), states };
}

const cycle: Step[] = [{ send: { type: "ON", level: 9 } }, { send: { type: "DONE" } }, { send: { type: "PING" } }, { send: { type: "OFF" } }];

describe("flat transitions", () => {
  it("publish, in the same order, and end in the same states as an XState actor on every kind of transition", () => {
    // given a script through every case: plain transitions (twice, so the second goes the short
    // way), guarded choices, an ignored event, a targetless action, a root transition, a re-entry,
    // an assign between plain transitions, a delay, and an action that throws
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
      ...cycle,
      { send: { type: "RESET" } },
      { send: { type: "BREAK" } },
      { send: { type: "PING" } },
    ];
    // when a hosted machine and an XState actor play it
    const hosted = play("hosted", steps);
    // then both publish the same notes under the same ids, and pass through the same states
    expect(hosted).toEqual(play("actor", steps));
    expect(hosted.drafts.filter((d) => d.endsWith("level 9"))).toHaveLength(4);
    expect(hosted.states.at(-2)).toMatch(/^failed: machine 'lamp1' failed: filament/);
    expect(hosted.states.at(-1)).toBe('"off" error {"count":1}');
  });

  it("leave XState's macrostep out once each state has been seen", () => {
    // given a hosted lamp that has been through a power cycle once
    const env = actorContext();
    const machine = lampMachine(env.note, { allowed: false });
    const m = hostMachine(env.ctx, machine, { id: "lamp2" });
    for (const s of cycle) if (s !== "timers") sendChecked(m, s.send);
    // when it cycles again
    const transition = vi.spyOn(machine, "transition");
    for (let i = 0; i < 3; i++) for (const s of cycle) if (s !== "timers") sendChecked(m, s.send);
    // then no event went through XState's transition(), and the actions ran all the same
    expect(transition).not.toHaveBeenCalled();
    expect(env.drafts.filter((d) => (d.payload as { what: string }).what === "switch off")).toHaveLength(4);
    // and a re-entry still does
    sendChecked(m, { type: "ON", level: 9 });
    sendChecked(m, { type: "AGAIN" });
    expect(transition).toHaveBeenCalledTimes(1);
  });

  it("are only taken for machines whose states are all atomic children of the root", () => {
    const env = actorContext();
    expect(isFlatMachine(lampMachine(env.note, { allowed: true }))).toBe(true);
    const nested = setup({}).createMachine({ initial: "a", states: { a: { initial: "x", states: { x: {} } } } });
    const parallel = setup({}).createMachine({ type: "parallel", states: { a: {}, b: {} } });
    const eventless = setup({}).createMachine({ initial: "a", states: { a: { always: "b" }, b: {} } });
    const final = setup({}).createMachine({ initial: "a", states: { a: { on: { GO: "b" } }, b: { type: "final" } } });
    for (const m of [nested, parallel, eventless, final]) expect(isFlatMachine(m)).toBe(false);
  });
});
