import { describe, expect, it } from "vitest";
import { z } from "zod";
import { makeEnvelope, type Envelope } from "./envelope.ts";
import { defineEvent, EventRegistry } from "./registry.ts";
import { decodeMessage, type Decoded, type Rejection } from "./validate.ts";

const AsFaultRaised = defineEvent(
  "AsFaultRaised",
  z.object({ as: z.number().int().min(0).max(15), address: z.string(), access: z.object({ write: z.boolean() }) }),
  "Test event: an address space faulted.",
);
const registry = new EventRegistry().register(AsFaultRaised);
const SUBJECT = "tyrsim.r1.gpu0.mmu.fault";

function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return makeEnvelope({
    id: "gpu0.mmu:4",
    run: "r1",
    seq: 12,
    timeNs: 1500,
    depth: 1,
    source: "gpu0.mmu",
    subject: SUBJECT,
    type: "AsFaultRaised",
    cause: "scenario:0",
    payload: { as: 3, address: "0x1000", access: { write: true } },
    ...overrides,
  });
}

function rejectionOf(d: Decoded): Rejection {
  if (d.ok) throw new Error(`expected a rejection, got event ${d.event.id}`);
  return d.rejection;
}

describe("decodeMessage", () => {
  it.each([
    ["JSON text", (e: Envelope): unknown => JSON.stringify(e)],
    ["UTF-8 bytes", (e: Envelope): unknown => new TextEncoder().encode(JSON.stringify(e))],
    ["a parsed object", (e: Envelope): unknown => JSON.parse(JSON.stringify(e)) as unknown],
  ])("accepts a valid envelope given as %s and returns it unchanged", (_form, encode) => {
    const e = envelope();
    const d = decodeMessage(encode(e), SUBJECT, registry);
    expect(d).toEqual({ ok: true, event: e });
  });

  it("accepts a null cause (an input)", () => {
    const d = decodeMessage(JSON.stringify(envelope({ cause: null })), SUBJECT, registry);
    expect(d.ok).toBe(true);
  });

  it("strips payload keys the schema does not know, as zod parsing does", () => {
    const raw = JSON.stringify(envelope({ payload: { as: 1, address: "0x0", access: { write: false }, extra: 1 } }));
    const d = decodeMessage(raw, SUBJECT, registry);
    expect(d.ok && d.event.payload).toEqual({ as: 1, address: "0x0", access: { write: false } });
  });

  it("rejects text that is not JSON with field (json) and the parser's reason", () => {
    const r = rejectionOf(decodeMessage('{"id": "x",', SUBJECT, registry));
    expect(r.subject).toBe(SUBJECT);
    expect(r.field).toBe("(json)");
    expect(r.reason).toMatch(/^not valid JSON: /);
    expect(r.excerpt).toBe('{"id": "x",');
  });

  it("rejects bytes that are not JSON with field (json)", () => {
    const r = rejectionOf(decodeMessage(new TextEncoder().encode("\u00b5 not json"), SUBJECT, registry));
    expect(r.field).toBe("(json)");
    expect(r.excerpt).toBe("\u00b5 not json");
  });

  it.each(["id", "run", "seq", "timeNs", "depth", "source", "subject", "type", "cause"] as const)(
    "rejects an envelope without %s and names that field",
    (field) => {
      // given an envelope with one field removed
      const broken: Record<string, unknown> = { ...envelope() };
      delete broken[field];
      // when decoded
      const r = rejectionOf(decodeMessage(JSON.stringify(broken), SUBJECT, registry));
      // then the rejection names exactly that field
      expect(r.field).toBe(field);
      expect(r.reason.length).toBeGreaterThan(0);
    },
  );

  it("rejects an envelope field of the wrong kind, e.g. a negative seq", () => {
    const r = rejectionOf(decodeMessage(JSON.stringify({ ...envelope(), seq: -1 }), SUBJECT, registry));
    expect(r.field).toBe("seq");
  });

  it("rejects a JSON value that is not an object at all", () => {
    const r = rejectionOf(decodeMessage("42", SUBJECT, registry));
    expect(r.field).toBe("(message)");
    expect(r.excerpt).toBe("42");
  });

  it("rejects an unknown event type with field type and the type named", () => {
    const r = rejectionOf(decodeMessage(JSON.stringify(envelope({ type: "AsFaultRaisd" })), SUBJECT, registry));
    expect(r.field).toBe("type");
    expect(r.reason).toContain("'AsFaultRaisd'");
  });

  it("rejects a bad payload field with field payload.<name>", () => {
    const r = rejectionOf(decodeMessage(JSON.stringify(envelope({ payload: { as: 99, address: "0x0", access: { write: true } } })), SUBJECT, registry));
    expect(r.field).toBe("payload.as");
    expect(r.reason.length).toBeGreaterThan(0);
  });

  it("names a nested payload field with its full dotted path", () => {
    const r = rejectionOf(decodeMessage(JSON.stringify(envelope({ payload: { as: 1, address: "0x0", access: { write: "yes" } } })), SUBJECT, registry));
    expect(r.field).toBe("payload.access.write");
  });

  it("names the payload itself when it is missing", () => {
    const broken: Record<string, unknown> = { ...envelope() };
    delete broken["payload"];
    const r = rejectionOf(decodeMessage(JSON.stringify(broken), SUBJECT, registry));
    expect(r.field).toBe("payload");
  });

  it("rejects an envelope that arrived on another subject than it names, with field subject and both subjects", () => {
    const r = rejectionOf(decodeMessage(JSON.stringify(envelope()), "tyrsim.r1.gpu0.mmu.other", registry));
    expect(r.subject).toBe("tyrsim.r1.gpu0.mmu.other");
    expect(r.field).toBe("subject");
    expect(r.reason).toContain(SUBJECT);
    expect(r.reason).toContain("tyrsim.r1.gpu0.mmu.other");
  });

  it("truncates the excerpt of a long message to 160 characters and marks the cut", () => {
    // given a long message that fails
    const raw = JSON.stringify(envelope({ type: "Unknown", payload: { blob: "x".repeat(1000) } }));
    // when decoded
    const r = rejectionOf(decodeMessage(raw, SUBJECT, registry));
    // then the excerpt is the message's first 160 characters and an ellipsis
    expect(r.excerpt).toBe(`${raw.slice(0, 160)}…`);
  });

  it("keeps a short message whole in the excerpt", () => {
    const r = rejectionOf(decodeMessage("[1,2]", SUBJECT, registry));
    expect(r.excerpt).toBe("[1,2]");
  });

  it("excerpts an object message as its JSON text", () => {
    const r = rejectionOf(decodeMessage({ hello: "world" }, SUBJECT, registry));
    expect(r.excerpt).toBe('{"hello":"world"}');
  });

  it("never throws, even for undefined or a value JSON cannot represent", () => {
    expect(() => decodeMessage(undefined, SUBJECT, registry)).not.toThrow();
    expect(decodeMessage(undefined, SUBJECT, registry).ok).toBe(false);
    expect(decodeMessage(null, SUBJECT, registry).ok).toBe(false);
  });

  // Regression: an object holding a bigint or a cycle is rejected, never thrown on.
  it("never throws for an object JSON cannot serialise (a bigint field), but rejects it", () => {
    const d = decodeMessage({ ...envelope(), seq: 1n }, SUBJECT, registry);
    expect(d.ok).toBe(false);
  });
});
