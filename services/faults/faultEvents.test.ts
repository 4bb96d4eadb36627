import { describe, expect, it } from "vitest";
import { decodeInput } from "../../shared/events/input.ts";
import { createCatalogue } from "../catalogue.ts";
import { FAULT_CATALOGUE } from "./faultCatalogue.ts";
import { FAULT_KINDS } from "./faultKinds.ts";

const SUBJECT = "tyrsim.r1.fault.inject";
const registry = createCatalogue();
const decode = (payload: unknown) => decodeInput({ type: "FaultInjected", payload }, SUBJECT, registry);
const rejection = (payload: unknown) => {
  const d = decode(payload);
  return d.ok ? undefined : [d.rejection.field, d.rejection.reason];
};

describe("FaultInjected validation", () => {
  it("accepts every implemented kind with its minimal fields and fills the defaults", () => {
    const minimal: Record<string, object> = {
      "mmu-fault": { fault: "translation" }, "irq-lost": { line: "mmu" }, "irq-spurious": { line: "gpu", bits: 1 },
      "supply-failure": { target: "clock", name: "core" }, "memory-pressure": { bytes: 4096 },
      "service-died": { service: "mmu" }, "message-loss": { subject: "gpu0.>" }, "message-delay": { subject: "gpu0.>", delayNs: 10 },
    };
    for (const kind of FAULT_KINDS.filter((k) => FAULT_CATALOGUE[k].status === "implemented")) {
      const d = decode({ fault: { kind, ...(minimal[kind] ?? {}) } });
      expect(d.ok, kind).toBe(true);
      // The runtime's kinds name a service or subject, not a GPU.
      if (d.ok && FAULT_CATALOGUE[kind].applier !== "runtime") expect((d.input.payload as { fault: { gpu: number } }).fault.gpu).toBe(0);
    }
  });

  it("rejects an unknown kind naming the field and the known kinds", () => {
    const [field, reason] = rejection({ fault: { kind: "gpu-on-fire" } })!;
    expect(field).toBe("payload.fault.kind");
    expect(reason).toMatch(/job-hang/);
  });

  it("rejects a malformed fault: a wrong field type, an unknown field, a missing required field", () => {
    expect(rejection({ fault: { kind: "irq-lost", line: "nmi" } })?.[0]).toBe("payload.fault.line");
    expect(rejection({ fault: { kind: "job-hang", color: "red" } })?.[1]).toMatch(/color/);
    expect(rejection({ fault: { kind: "memory-pressure" } })?.[0]).toBe("payload.fault.bytes");
    expect(rejection({})?.[0]).toBe("payload.fault");
  });

  it("rejects a trigger on an event type the applying actor never sees, saying which it can count", () => {
    const [field, reason] = rejection({ fault: { kind: "job-hang" }, trigger: { on: { eventType: "DoorbellRung" } } })!;
    expect(field).toBe("payload.trigger.on.eventType");
    expect(reason).toMatch(/gpu<N>\.shader.*JobDispatched/);
  });

  it("accepts the runtime's kinds and rejects a trigger on them, since the runtime counts no events", () => {
    for (const fault of [{ kind: "service-died", service: "mmu" }, { kind: "message-loss", subject: "gpu0.>" }, { kind: "message-delay", subject: "gpu0.>", delayNs: 10 }]) {
      expect(rejection({ fault })).toBeUndefined();
      const [field] = rejection({ fault, trigger: { on: { eventType: "JobDispatched" } } })!;
      expect(field).toBe("payload.trigger.on.eventType");
    }
  });

  it("names the applying actor and allowed triggers of every kind in the catalogue", () => {
    for (const kind of FAULT_KINDS) {
      const info = FAULT_CATALOGUE[kind];
      expect(info.kind).toBe(kind);
      for (const t of info.triggers) expect(registry.get(t), `${kind} trigger ${t}`).toBeDefined();
    }
  });
});
