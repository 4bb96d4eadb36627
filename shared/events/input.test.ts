import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeInput, type InputMessage } from "./input.ts";
import { defineEvent, EventRegistry } from "./registry.ts";
import type { Rejection } from "./validate.ts";

const GpuFaultInjected = defineEvent(
  "GpuFaultInjected",
  z.object({ as: z.number().int().min(0).max(15), kind: z.enum(["translation", "permission"]) }),
  "Test event: a fault was injected.",
);
const registry = new EventRegistry().register(GpuFaultInjected);
const SUBJECT = "tyrsim.r1.fault.inject";

type DecodedInput = ReturnType<typeof decodeInput>;

function inputOf(d: DecodedInput): InputMessage {
  if (!d.ok) throw new Error(`expected an input, got a rejection of ${d.rejection.field}: ${d.rejection.reason}`);
  return d.input;
}

function rejectionOf(d: DecodedInput): Rejection {
  if (d.ok) throw new Error(`expected a rejection, got input ${d.input.type}`);
  return d.rejection;
}

const valid = { type: "GpuFaultInjected", payload: { as: 2, kind: "translation" }, atNs: 5000 };

describe("decodeInput", () => {
  it.each([
    ["JSON text", (): unknown => JSON.stringify(valid)],
    ["UTF-8 bytes", (): unknown => new TextEncoder().encode(JSON.stringify(valid))],
    ["a parsed object", (): unknown => ({ ...valid })],
  ])("accepts a valid input given as %s", (_form, raw) => {
    expect(inputOf(decodeInput(raw(), SUBJECT, registry))).toEqual(valid);
  });

  it("accepts an input without atNs (deliver at the next instant)", () => {
    const input = inputOf(decodeInput(JSON.stringify({ type: "GpuFaultInjected", payload: { as: 0, kind: "permission" } }), SUBJECT, registry));
    expect(input.atNs).toBeUndefined();
  });

  it("returns the payload as the schema parsed it, unknown keys dropped", () => {
    const input = inputOf(decodeInput({ type: "GpuFaultInjected", payload: { as: 1, kind: "permission", junk: true } }, SUBJECT, registry));
    expect(input.payload).toEqual({ as: 1, kind: "permission" });
  });

  it("rejects text that is not JSON with field (json)", () => {
    const r = rejectionOf(decodeInput("{type: GpuFaultInjected}", SUBJECT, registry));
    expect(r.subject).toBe(SUBJECT);
    expect(r.field).toBe("(json)");
    expect(r.reason).toMatch(/^not valid JSON: /);
    expect(r.excerpt).toBe("{type: GpuFaultInjected}");
  });

  it("rejects an input without a type and names the field", () => {
    const r = rejectionOf(decodeInput(JSON.stringify({ payload: {} }), SUBJECT, registry));
    expect(r.field).toBe("type");
  });

  it("rejects a negative or fractional atNs and names the field", () => {
    expect(rejectionOf(decodeInput({ ...valid, atNs: -1 }, SUBJECT, registry)).field).toBe("atNs");
    expect(rejectionOf(decodeInput({ ...valid, atNs: 1.5 }, SUBJECT, registry)).field).toBe("atNs");
  });

  it("rejects a message that is not an object with field (message)", () => {
    expect(rejectionOf(decodeInput("[]", SUBJECT, registry)).field).toBe("(message)");
  });

  it("rejects an unknown event type with field type and the type named", () => {
    const r = rejectionOf(decodeInput({ ...valid, type: "GpuFaultInjectd" }, SUBJECT, registry));
    expect(r.field).toBe("type");
    expect(r.reason).toContain("'GpuFaultInjectd'");
  });

  it("rejects a bad payload field with field payload.<name>", () => {
    const r = rejectionOf(decodeInput({ ...valid, payload: { as: 2, kind: "bitflip" } }, SUBJECT, registry));
    expect(r.field).toBe("payload.kind");
    expect(r.reason.length).toBeGreaterThan(0);
  });

  it("names the payload when it is missing altogether", () => {
    const r = rejectionOf(decodeInput({ type: "GpuFaultInjected" }, SUBJECT, registry));
    expect(r.field).toBe("payload");
  });

  it("truncates the excerpt of a long message to its first 160 characters", () => {
    const raw = JSON.stringify({ type: "Nope", payload: { blob: "y".repeat(500) } });
    const r = rejectionOf(decodeInput(raw, SUBJECT, registry));
    expect(r.excerpt.startsWith(raw.slice(0, 160))).toBe(true);
    expect(r.excerpt.length).toBeLessThanOrEqual(161);
  });

  it("excerpts an object message as its JSON text", () => {
    const r = rejectionOf(decodeInput({ type: "Nope", payload: 1 }, SUBJECT, registry));
    expect(r.excerpt).toBe('{"type":"Nope","payload":1}');
  });

  // Regression: an object holding a bigint or a cycle is rejected, never thrown on.
  it("never throws for an object JSON cannot serialise (a bigint payload), but rejects it", () => {
    const d = decodeInput({ type: "GpuFaultInjected", payload: { as: 1n, kind: "translation" } }, SUBJECT, registry);
    expect(d.ok).toBe(false);
  });
});
