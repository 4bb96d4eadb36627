import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnvelopeSchema, isCanonicalEnvelope, makeEnvelope, type Envelope } from "./envelope.ts";

const base: Envelope = makeEnvelope({
  id: "gpu0.pwr:3",
  run: "r1",
  seq: 7,
  timeNs: 1000,
  depth: 1,
  source: "gpu0.pwr",
  subject: "tyrsim.r1.gpu0.pwr.state",
  type: "PowerDomainChanged",
  cause: "scenario:0",
  payload: { domain: "l2", ready: 1, trans: 0 },
});

describe("isCanonicalEnvelope", () => {
  it("accepts an envelope as makeEnvelope builds it and as JSON.parse reads it back", () => {
    expect(isCanonicalEnvelope(base)).toBe(true);
    expect(isCanonicalEnvelope(JSON.parse(JSON.stringify(base)))).toBe(true);
    expect(isCanonicalEnvelope({ ...base, cause: null, payload: undefined })).toBe(true);
  });

  it("refuses extra, missing or reordered fields, which the schema must judge", () => {
    expect(isCanonicalEnvelope({ ...base, extra: 1 })).toBe(false);
    const { payload: _p, ...noPayload } = base;
    expect(isCanonicalEnvelope(noPayload)).toBe(false);
    const { id, ...rest } = base;
    expect(isCanonicalEnvelope({ ...rest, id })).toBe(false);
  });

  it("refuses the values the schema refuses", () => {
    for (const bad of [{ seq: -1 }, { timeNs: 1.5 }, { depth: "0" }, { id: "" }, { subject: 3 }, { cause: 4 }, { type: "" }]) {
      const e = { ...base, ...bad };
      expect(isCanonicalEnvelope(e)).toBe(false);
      expect(EnvelopeSchema.safeParse(e).success).toBe(false);
    }
    expect(isCanonicalEnvelope(null)).toBe(false);
    expect(isCanonicalEnvelope([base])).toBe(false);
  });

  it("accepts only what the schema accepts unchanged, field for field and in the same order", () => {
    const value = fc.oneof(fc.string(), fc.integer({ min: -2, max: 2 ** 53 }), fc.double(), fc.constant(null), fc.boolean());
    // Mostly well-formed fields, now and then a wrong one or a missing one.
    const name = fc.oneof({ arbitrary: fc.string({ maxLength: 4 }), weight: 8 }, value);
    const count = fc.oneof({ arbitrary: fc.nat(), weight: 8 }, value);
    const candidate = fc.record(
      { id: name, run: name, seq: count, timeNs: count, depth: count, source: name, subject: name, type: name, cause: fc.oneof(fc.constant(null), name), payload: fc.jsonValue() },
      { requiredKeys: ["id", "run", "seq", "timeNs", "depth", "source", "subject", "type", "cause"] },
    );
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (c) => {
        if (!isCanonicalEnvelope(c)) return;
        accepted++;
        const r = EnvelopeSchema.safeParse(c);
        expect(r.success).toBe(true);
        expect(JSON.stringify(r.data)).toBe(JSON.stringify(c));
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
