import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { RuntimeFaults } from "./runtimeFaults.ts";

const RUN = "r-1";
let n = 0;
const draft = (source: string, path: string, timeNs = 100, depth = 1): Draft => ({
  id: `${source}:${n}`, timeNs, depth, source, n: n++, subject: `tyrsim.${RUN}.${path}`, type: "Something", cause: null, payload: {},
});
const injected = (id: string, fault: object): Envelope =>
  ({ id, run: RUN, seq: 0, timeNs: 50, depth: 0, source: "scenario", subject: `tyrsim.${RUN}.fault.inject`, type: "FaultInjected", cause: null, payload: { fault } }) as Envelope;

describe("the runtime's fault book", () => {
  it("drops the next `count` actor events on the subject and lets inputs and other subjects through", () => {
    const book = new RuntimeFaults(RUN);
    const armed = book.observe([injected("scenario:0", { kind: "message-loss", subject: "gpu0.mmio.>", count: 2 })]);
    expect(armed.map((d) => d.type)).toEqual(["FaultArmed"]);
    const input = draft("scenario", "gpu0.mmio.read");
    const [a, b, c] = [draft("gpu0.regs", "gpu0.mmio.read"), draft("gpu0.regs", "gpu0.mmio.read"), draft("gpu0.regs", "gpu0.mmio.read")];
    const other = draft("gpu0.pwr", "gpu0.pwr.state");
    const first = book.route([input, a!, other]);
    expect(first.deliver).toEqual([input, other]);
    expect(first.later.map((d) => [d.type, d.depth, d.cause])).toEqual([["FaultApplied", 2, "scenario:0"], ["MessageDropped", 2, "scenario:0"]]);
    const second = book.route([b!, c!]);
    expect(second.deliver).toEqual([c]);
    expect(book.active).toBe(false);
  });

  it("postpones an event once, to a later instant at depth 0 with its id kept", () => {
    const book = new RuntimeFaults(RUN);
    book.observe([injected("scenario:1", { kind: "message-delay", subject: "gpu0.pwr.state", delayNs: 500, count: 5 })]);
    const e = draft("gpu0.pwr", "gpu0.pwr.state", 1000, 3);
    const routed = book.route([e]);
    expect(routed.deliver).toEqual([]);
    const moved = routed.later.find((d) => d.id === e.id)!;
    expect([moved.timeNs, moved.depth]).toEqual([1500, 0]);
    // when it comes round again it is delivered, not delayed a second time
    expect(book.route([moved]).deliver).toEqual([moved]);
  });

  it("rejects service-died where there are no service processes, and names unknown services where there are", () => {
    const embedded = new RuntimeFaults(RUN).observe([injected("scenario:2", { kind: "service-died", service: "mmu" })]);
    expect(embedded[0]?.type).toBe("FaultRejected");
    expect((embedded[0]?.payload as { reason: string }).reason).toMatch(/needs the multi-process runtime/);
    const multi = new RuntimeFaults(RUN, ["mmu", "driver"]);
    expect((multi.observe([injected("scenario:3", { kind: "service-died", service: "gpu" })])[0]?.payload as { reason: string }).reason).toMatch(/no service named 'gpu'.*mmu, driver/);
    expect(multi.observe([injected("scenario:4", { kind: "service-died", service: "mmu" })])[0]?.type).toBe("FaultApplied");
    expect(multi.takeDeaths()).toEqual([{ fault: "scenario:4", service: "mmu" }]);
    expect(multi.takeDeaths()).toEqual([]);
  });
});
