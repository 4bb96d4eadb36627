import { describe, expect, it } from "vitest";
import { EventQueue } from "./eventQueue.ts";

describe("EventQueue", () => {
  it("peeks at the next event in canonical order without taking it, and its level is peekLevel's", () => {
    // given inputs queued out of order
    const queue = new EventQueue("r1");
    queue.input("scenario", "Ping", "gpu0.ping", { n: 1 }, 20);
    queue.input("scenario", "Ping", "gpu0.ping", { n: 0 }, 10);
    // when the queue is peeked at
    const next = queue.peek();
    // then it is the earliest, still queued, at the level peekLevel reports
    expect(next?.id).toBe("scenario:1");
    expect(queue.size).toBe(2);
    expect(queue.peekLevel()).toEqual({ timeNs: next?.timeNs, depth: next?.depth });
    expect(queue.popLevel({ timeNs: 10, depth: 0 }).map((d) => d.id)).toEqual(["scenario:1"]);
  });

  it("peeks at nothing when empty", () => {
    expect(new EventQueue("r1").peek()).toBeUndefined();
  });
});

describe("EventQueue inputs", () => {
  it("puts every input of a path on the run's full subject for that path, however often it is queued", () => {
    const queue = new EventQueue("r1");
    for (let i = 0; i < 3; i++) queue.input("scenario", "Ping", "gpu0.ping", { n: i }, i);
    queue.input("injector", "Ping", "gpu1.ping", { n: 9 }, 0);
    const subjects: string[] = [];
    for (let l = queue.peekLevel(); l !== undefined; l = queue.peekLevel()) subjects.push(...queue.popLevel(l).map((d) => d.subject));
    expect(subjects).toEqual(["tyrsim.r1.gpu1.ping", "tyrsim.r1.gpu0.ping", "tyrsim.r1.gpu0.ping", "tyrsim.r1.gpu0.ping"]);
  });

  it("runs a delivery hook once, when its event is delivered, whatever other sources deliver around it", () => {
    // given hooks on two inputs of different sources
    const queue = new EventQueue("r1");
    const ran: string[] = [];
    const a = queue.input("scenario", "Ping", "gpu0.ping", {}, 0);
    const b = queue.input("injector", "Ping", "gpu0.ping", {}, 0);
    queue.onDelivered(a, () => ran.push("a"));
    queue.onDelivered(b, () => ran.push("b"));
    // when actors' events and the inputs are delivered, the inputs twice
    queue.delivered([{ id: "gpu0.fw:0", source: "gpu0.fw" }, { id: b, source: "injector" }, { id: "scenario:7", source: "scenario" }, { id: a, source: "scenario" }]);
    queue.delivered([{ id: a, source: "scenario" }, { id: b, source: "injector" }]);
    // then each hook ran once, in delivery order
    expect(ran).toEqual(["b", "a"]);
  });
});
