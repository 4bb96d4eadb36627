import { describe, expect, it } from "vitest";
import { createActor, type AnyStateMachine } from "xstate";
import { createCsgSlotMachine } from "./csgSlotMachine.ts";
import { createDoorbellMachine, RungDoorbells } from "./doorbellMachine.ts";
import { createMcuMachine } from "./mcuMachine.ts";

/** XState's clock, advanced by hand (ms, as XState counts). */
class ManualClock {
  now = 0;
  private next = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    this.timers.set(++this.next, { at: this.now + ms, fn });
    return this.next;
  }
  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort(([i, a], [j, b]) => a.at - b.at || i - j)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

function host<M extends AnyStateMachine>(machine: M) {
  const clock = new ManualClock();
  const actor = createActor(machine, { clock } as never);
  actor.start();
  return { actor, clock };
}

describe("MCU lifecycle machine", () => {
  function mcu() {
    const calls: string[] = [];
    const m = host(createMcuMachine(500_000, {
      fetchImage: () => calls.push("fetchImage"), mapShared: () => calls.push("mapShared"),
      bootFailed: (f) => calls.push(`bootFailed:${f.reason}`), started: (fast) => calls.push(fast ? "started:fast" : "started"),
      halted: () => calls.push("halted"), stopped: () => calls.push("stopped"), crashed: () => calls.push("crashed"), reset: () => calls.push("reset"),
    }));
    return { ...m, calls };
  }

  it("boots through image fetch, shared-section mapping and the boot latency, then halts and restarts fast", () => {
    const { actor, clock, calls } = mcu();
    actor.send({ type: "ENABLE" });
    actor.send({ type: "IMAGE_FOUND" });
    actor.send({ type: "SHARED_MAPPED" });
    clock.advance(0.499);
    expect(actor.getSnapshot().value).toEqual({ booting: "starting" });
    clock.advance(0.001);
    expect(actor.getSnapshot().value).toBe("running");
    actor.send({ type: "HALT" });
    actor.send({ type: "ENABLE" });
    expect(calls).toEqual(["fetchImage", "mapShared", "started", "halted", "started:fast"]);
  });

  it("stays disabled after a failed boot, crashes on injection, and obeys DISABLE and RESET from anywhere", () => {
    const { actor, calls } = mcu();
    actor.send({ type: "ENABLE" });
    actor.send({ type: "BOOT_FAILED", failure: { reason: "image-unmapped", va: 0 } });
    expect(actor.getSnapshot().value).toBe("disabled");
    actor.send({ type: "ENABLE" });
    actor.send({ type: "IMAGE_FOUND" });
    actor.send({ type: "RESET" });
    expect(actor.getSnapshot().value).toBe("disabled");
    expect(calls).toEqual(["fetchImage", "bootFailed:image-unmapped", "fetchImage", "mapShared", "reset"]);
  });

  it("goes FATAL on a crash and only DISABLE or a reset brings it back", () => {
    const { actor, clock, calls } = mcu();
    actor.send({ type: "ENABLE" });
    actor.send({ type: "IMAGE_FOUND" });
    actor.send({ type: "SHARED_MAPPED" });
    clock.advance(1);
    actor.send({ type: "CRASH" });
    actor.send({ type: "HALT" });
    actor.send({ type: "ENABLE" });
    expect(actor.getSnapshot().value).toBe("crashed");
    actor.send({ type: "DISABLE" });
    expect(calls.slice(-2)).toEqual(["crashed", "stopped"]);
  });
});

describe("doorbell handling machine", () => {
  it("answers every doorbell rung before the pass in one pass, global first, forgets them on STOP, and can be made to ignore pings", () => {
    const passes: [number, readonly number[], boolean][] = [];
    const rung = new RungDoorbells();
    const { actor, clock } = host(createDoorbellMachine(2_000, { handle: (ignore) => passes.push([clock.now, rung.take(), ignore]), forget: () => rung.clear() }));
    const ring = (doorbell: number) => {
      if (rung.ring(doorbell)) actor.send({ type: "RING" });
    };
    ring(3);
    clock.advance(0.001);
    ring(0);
    ring(3);
    clock.advance(0.002);
    actor.send({ type: "IGNORE_PINGS" });
    ring(0);
    clock.advance(0.002);
    ring(1);
    actor.send({ type: "STOP" });
    ring(2);
    clock.advance(0.01);
    expect(passes).toEqual([[0.002, [0, 3], false], [0.005, [0], true], [0.007, [2], true]]);
  });
});

describe("CSG slot machine", () => {
  function csg(progressNs = 30_000) {
    const calls: string[] = [];
    const m = host(createCsgSlotMachine({
      entered: (_self, state, request) => calls.push(`${state}:${request}`), idleReported: () => calls.push("idle"),
      busyAgain: () => calls.push("busy"), progressTimedOut: () => calls.push("progress"), idleNs: () => 768_000, progressNs: () => progressNs,
    }));
    return { ...m, calls };
  }

  it("starts, suspends, resumes and terminates on CSG_REQ.STATE, ignoring requests that change nothing", () => {
    const { actor, calls } = csg();
    for (const state of ["SUSPEND", "START", "RESUME", "SUSPEND", "SUSPEND", "RESUME", "START", "TERMINATE", "TERMINATE"] as const) actor.send({ type: "REQUEST", state });
    expect(calls).toEqual(["running:START", "suspended:SUSPEND", "running:RESUME", "running:START", "terminated:TERMINATE"]);
  });

  it("reports IDLE after the idle hysteresis with every stream idle, and busy again when work comes", () => {
    const { actor, clock, calls } = csg();
    actor.send({ type: "REQUEST", state: "START" });
    actor.send({ type: "ACTIVITY", idle: true });
    clock.advance(0.5);
    actor.send({ type: "ACTIVITY", idle: false });
    actor.send({ type: "ACTIVITY", idle: true });
    clock.advance(0.768);
    actor.send({ type: "ACTIVITY", idle: false });
    expect(calls).toEqual(["running:START", "idle", "busy"]);
  });

  it("reports PROGRESS_TIMER_EVENT when outstanding jobs make no progress for the timeout; progress restarts the watch", () => {
    const { actor, clock, calls } = csg();
    actor.send({ type: "REQUEST", state: "START" });
    actor.send({ type: "JOBS", outstanding: true });
    clock.advance(0.02);
    actor.send({ type: "PROGRESS" });
    clock.advance(0.02);
    expect(calls).toEqual(["running:START"]);
    clock.advance(0.01);
    expect(calls).toEqual(["running:START", "progress"]);
    const quiet = csg(0);
    quiet.actor.send({ type: "REQUEST", state: "START" });
    quiet.actor.send({ type: "JOBS", outstanding: true });
    quiet.clock.advance(10);
    expect(quiet.calls).toEqual(["running:START"]);
  });
});
