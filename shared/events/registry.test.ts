import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineEvent, DuplicateEventTypeError, EventRegistry } from "./registry.ts";

const FenceSignalled = defineEvent("FenceSignalled", z.object({ seqno: z.number().int() }), "A fence was signalled.");
const AsFaultRaised = defineEvent("AsFaultRaised", z.object({ as: z.number().int() }), "An address space faulted.");
const JobSubmitted = defineEvent("JobSubmitted", z.object({ job: z.string() }), "A job was submitted.");

describe("defineEvent", () => {
  it("keeps the type, payload schema and description as given", () => {
    expect(FenceSignalled.type).toBe("FenceSignalled");
    expect(FenceSignalled.description).toBe("A fence was signalled.");
    expect(FenceSignalled.payload.safeParse({ seqno: 3 }).success).toBe(true);
    expect(FenceSignalled.payload.safeParse({ seqno: "3" }).success).toBe(false);
  });
});

describe("EventRegistry", () => {
  it("finds a registered definition by type and nothing for an unknown type", () => {
    const registry = new EventRegistry().register(FenceSignalled);
    expect(registry.get("FenceSignalled")).toBe(FenceSignalled);
    expect(registry.get("FenceSignaled")).toBeUndefined();
    expect(registry.get("")).toBeUndefined();
  });

  it("lists every definition sorted by type name, whatever the registration order", () => {
    const registry = new EventRegistry().register(JobSubmitted, FenceSignalled).register(AsFaultRaised);
    expect(registry.all().map((d) => d.type)).toEqual(["AsFaultRaised", "FenceSignalled", "JobSubmitted"]);
  });

  it("lists nothing when empty", () => {
    expect(new EventRegistry().all()).toEqual([]);
  });

  it("accepts the very same definition registered twice, and lists it once", () => {
    const registry = new EventRegistry().register(FenceSignalled, FenceSignalled);
    expect(() => registry.register(FenceSignalled)).not.toThrow();
    expect(registry.all()).toEqual([FenceSignalled]);
  });

  it("refuses a different definition of a known type with DuplicateEventTypeError naming the type", () => {
    // given a registry that knows FenceSignalled
    const registry = new EventRegistry().register(FenceSignalled);
    const impostor = defineEvent("FenceSignalled", z.object({ seqno: z.string() }), "Another fence event.");
    // when a different definition with that type is registered
    let error: unknown;
    try {
      registry.register(impostor);
    } catch (e) {
      error = e;
    }
    // then it is refused with the type named, and the original stays
    expect(error).toBeInstanceOf(DuplicateEventTypeError);
    expect((error as DuplicateEventTypeError).name).toBe("DuplicateEventTypeError");
    expect((error as DuplicateEventTypeError).eventType).toBe("FenceSignalled");
    expect((error as Error).message).toContain("'FenceSignalled'");
    expect(registry.get("FenceSignalled")).toBe(FenceSignalled);
  });

  it("refuses an identical-looking but separately defined definition (identity, not shape)", () => {
    const twin = defineEvent(FenceSignalled.type, FenceSignalled.payload, FenceSignalled.description);
    expect(() => new EventRegistry().register(FenceSignalled, twin)).toThrow(DuplicateEventTypeError);
  });

  it("returns itself from register, so registrations chain", () => {
    const registry = new EventRegistry();
    expect(registry.register(FenceSignalled)).toBe(registry);
  });

  it("narrows an event to a definition's type with EventRegistry.is", () => {
    const e: { type: string; payload: unknown } = { type: "FenceSignalled", payload: { seqno: 1 } };
    expect(EventRegistry.is(FenceSignalled, e)).toBe(true);
    expect(EventRegistry.is(JobSubmitted, e)).toBe(false);
  });
});
