import { describe, expect, it } from "vitest";
import { RunStatusBoard, SILENT_AFTER_MS } from "./runStatus.ts";

describe("the coordinator's run status board", () => {
  it("waits for the services that have not said Hello while gathering, and calls them silent", () => {
    const board = new RunStatusBoard("r-1", ["memory", "regs"], 1000);
    board.joinedBy("memory");
    board.healthOf("memory", "ready", 1100);
    const r = board.report(2000);
    expect(r).toMatchObject({ run: "r-1", phase: "gathering", waitingFor: ["regs"], eventsLogged: 0 });
    expect(r.services).toEqual([
      { service: "memory", state: "ready", sinceMs: 1100 },
      { service: "regs", state: "silent", sinceMs: 1000 },
    ]);
  });

  it("counts events per second between reports and keeps the latest virtual time", () => {
    const board = new RunStatusBoard("r-1", ["memory"], 0);
    board.running();
    for (let i = 0; i < 500; i++) board.delivered(i * 10);
    expect(board.report(1000)).toMatchObject({ eventsLogged: 500, eventsPerSecond: 500, virtualTimeNs: 4990 });
    for (let i = 0; i < 100; i++) board.delivered(5000);
    expect(board.report(3000)).toMatchObject({ eventsLogged: 600, eventsPerSecond: 50 });
  });

  it("makes a service silent when its level reply is overdue, and ready again once it answers", () => {
    const board = new RunStatusBoard("r-1", ["mmu"], 0);
    board.healthOf("mmu", "ready", 10);
    board.running();
    board.waiting("mmu", 100);
    expect(board.report(100 + SILENT_AFTER_MS - 1)).toMatchObject({ waitingFor: ["mmu"], services: [{ state: "ready" }] });
    expect(board.report(100 + SILENT_AFTER_MS)).toMatchObject({ waitingFor: ["mmu"], services: [{ state: "silent", sinceMs: 100 }] });
    board.waiting("mmu", undefined);
    board.healthOf("mmu", "draining", 5000);
    expect(board.report(6000)).toMatchObject({ waitingFor: [], services: [{ state: "draining", sinceMs: 5000 }] });
  });
});
