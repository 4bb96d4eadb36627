import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headerOf, runEmbedded, runIdOf } from "../runtime/embeddedRun.ts";
import { Coordinator } from "../runtime/multiprocess/coordinator.ts";
import { inProcessServices } from "../runtime/multiprocess/inProcessServices.ts";
import { placementOf } from "../runtime/multiprocess/partition.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadScenarioFile, parseScenario, type LoadedScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const MS = 1_000_000;

/** Run a scenario on the embedded runtime and return its logged events. */
async function run(loaded: LoadedScenario): Promise<{ events: Envelope[]; failures: number; rejected: number }> {
  const out = mkdtempSync(join(tmpdir(), "tyrsim-led-"));
  const s = await runEmbedded({ loaded, outDir: out });
  const events = readFileSync(s.log, "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as Envelope);
  return { events, failures: s.actorFailures, rejected: s.rejected };
}

const load = (file: string) => loadScenarioFile(join("scenarios", file), createCatalogue());
/** led.yaml with the lock taken the wrong way. */
function ledPlain(): LoadedScenario {
  const base = load("led.yaml");
  const text = base.text.replace("payload: { lockMode: irqsave", "payload: { lockMode: plain");
  expect(text).not.toBe(base.text);
  return { file: base.file, text, scenario: parseScenario(text, base.file, createCatalogue()) };
}

const of = (events: Envelope[], type: string) => events.filter((e) => e.type === type);
/** The LED's level after each change, with the time it changed. */
const ledLevels = (events: Envelope[]) => of(events, "GpioOutputChanged").filter((e) => (e.payload as { line: number }).line === 5).map((e) => [e.timeNs, (e.payload as { level: number }).level]);

describe("the LED tutorial driver (scenarios/led.yaml, spin_lock_irqsave)", () => {
  it("lights the LED on write(\"1\"), toggles it on every press, turns it off on write(\"0\")", async () => {
    const { events, failures, rejected } = await run(load("led.yaml"));
    expect([failures, rejected]).toEqual([0, 0]);
    expect(of(events, "LedDeviceRegistered").map((e) => e.payload)).toEqual([{ node: "/dev/led", lockMode: "irqsave", ledLine: 5, buttonLine: 6 }]);
    expect(ledLevels(events)).toEqual([
      [1 * MS, 1], // echo 1
      [2 * MS, 0], // press
      [3 * MS, 1], // press
      [4 * MS, 0], // echo 0
      [5 * MS, 1], // write("1") …
      [5 * MS + 5000, 0], // … and the press that waited for its unlock
      [7 * MS, 1], // press
    ]);
    expect(of(events, "LedWriteCompleted").map((e) => [(e.payload as { tag: string }).tag, (e.payload as { ret: number }).ret])).toEqual([
      ["on", 2], ["off", 2], ["on-again", 1], ["bad", -22],
    ]);
  });

  it("defers the press that lands inside write() until spin_unlock_irqrestore, then runs the handler", async () => {
    const { events } = await run(load("led.yaml"));
    const deferred = of(events, "IrqDeferred");
    expect(deferred.map((e) => e.timeNs)).toEqual([5 * MS + 2000]);
    const unlock = events.find((e) => e.type === "SpinlockReleased" && e.timeNs === 5 * MS + 5000 && (e.payload as { context: string }).context === "process")!;
    expect(unlock.payload).toMatchObject({ fn: "led_write", irqsRestored: true });
    const handled = of(events, "LedIrqHandled");
    expect(handled.map((e) => (e.payload as { deferredNs: number }).deferredNs)).toEqual([0, 0, 3000, 0]);
    // the handler ran after the unlock, in the same instant, before write() returned
    const late = handled[2]!;
    expect(late.seq).toBeGreaterThan(unlock.seq);
    const done = events.find((e) => e.type === "LedWriteCompleted" && (e.payload as { tag: string }).tag === "on-again")!;
    expect(late.seq).toBeLessThan(done.seq);
  });

  it("takes the lock with interrupts off in write() and reports neither lockdep nor a deadlock", async () => {
    const { events } = await run(load("led.yaml"));
    const writes = of(events, "SpinlockAcquired").filter((e) => (e.payload as { context: string }).context === "process");
    expect(writes.length).toBe(3);
    for (const w of writes) expect(w.payload).toMatchObject({ irqsave: true, localIrqsEnabled: false });
    expect([...of(events, "LockdepInconsistentUsage"), ...of(events, "SpinlockDeadlocked"), ...of(events, "HardLockupDetected")]).toEqual([]);
  });
});

describe("the LED driver with a plain spin_lock() in write()", () => {
  it("gets lockdep's report at the first press even though it did not collide, and deadlocks when a press lands inside write()", async () => {
    const { events, failures } = await run(ledPlain());
    expect(failures).toBe(0);
    const reports = of(events, "LockdepInconsistentUsage");
    expect(reports.map((e) => [e.timeNs, (e.payload as { from: string }).from, (e.payload as { to: string }).to])).toEqual([[2 * MS, "HARDIRQ-ON-W", "IN-HARDIRQ-W"]]);
    expect(of(events, "SpinlockDeadlocked").map((e) => e.timeNs)).toEqual([5 * MS + 2000]);
    // the LED stops responding: it stays lit from write("1") at 5 ms; the bad write and the 7 ms press get no answer
    expect(ledLevels(events).at(-1)).toEqual([5 * MS, 1]);
    expect(of(events, "LedWriteCompleted").map((e) => (e.payload as { tag: string }).tag)).toEqual(["on", "off"]);
  });
});

describe("scenarios/led-deadlock.yaml", () => {
  it("proves the self-deadlock from the log: lockdep's report, the stuck lock, a lost write and press, the hard-lockup watchdog", async () => {
    const { events, failures, rejected } = await run(load("led-deadlock.yaml"));
    expect([failures, rejected]).toEqual([0, 0]);
    const press = events.find((e) => e.type === "GpioIrqRaised")!;
    const [report] = of(events, "LockdepInconsistentUsage");
    expect(report?.payload).toMatchObject({
      lock: "led->lock", from: "HARDIRQ-ON-W", to: "IN-HARDIRQ-W",
      registeredBy: { fn: "led_write", context: "process", atNs: 1 * MS }, takenBy: { fn: "led_irq_handler", context: "hardirq" },
    });
    expect((report?.payload as { text: string[] }).text).toContain("inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.");
    const [dead] = of(events, "SpinlockDeadlocked");
    expect(dead?.payload).toEqual({ lock: "led->lock", cpu: 0, holder: { context: "process", fn: "led_write", pid: 100, sinceNs: 2 * MS }, waiter: { context: "hardirq", fn: "led_irq_handler" } });
    // lockdep speaks before the CPU spins, both caused by the interrupt
    expect(report!.seq).toBeLessThan(dead!.seq);
    expect(dead!.timeNs).toBe(press.timeNs);
    // the write holding the lock never returns, nor do the later ones; the later press raises the bank's IRQ but is never handled
    expect(of(events, "LedWriteCompleted").map((e) => (e.payload as { tag: string }).tag)).toEqual(["on"]);
    expect(of(events, "GpioIrqRaised").length).toBe(2);
    expect(of(events, "LedIrqHandled")).toEqual([]);
    expect(of(events, "SpinlockReleased").length).toBe(1);
    expect(of(events, "HardLockupDetected").map((e) => [e.timeNs, e.payload])).toEqual([[2 * MS + 2000 + 10_000 * MS, { cpu: 0, stuckForNs: 10_000 * MS, fn: "led_irq_handler" }]]);
  });
});

describe("the LED actors in the multi-process runtime", () => {
  it("are placed in their own led service, which reproduces the embedded log byte for byte", async () => {
    expect([placementOf("led.gpio"), placementOf("led.drv")]).toEqual([{ kind: "led", gpu: 0 }, { kind: "led", gpu: 0 }]);
    const loaded = load("led.yaml");
    const seed = 1;
    const run = runIdOf(loaded.scenario, seed);
    const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-led-coord-")), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, seed));
    const services = inProcessServices(run, seed, loaded.scenario);
    expect(services.map((s) => s.name)).toContain("led-0");
    const coordinator = new Coordinator({ run, sink, services });
    coordinator.queueSteps(loaded.scenario);
    await coordinator.run(loaded.scenario.duration);
    await sink.close();
    const embedded = await runEmbedded({ loaded, seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-led-emb-")) });
    expect(sink.digest.hex()).toBe(embedded.digest);
  });
});
