import { describe, expect, it } from "vitest";
import { createCatalogue } from "../services/catalogue.ts";
import { wireCatalogue } from "./wireCatalogue.ts";

describe("the wire catalogue", () => {
  it("describes every registered event type and the coordinator messages as JSON Schema", () => {
    const registry = createCatalogue();
    const cat = wireCatalogue(registry) as { events: Record<string, { description: string; payload: { type?: string } }>; coordinator: Record<string, { type?: string }>; envelope: { required?: string[] } };
    expect(Object.keys(cat.events)).toEqual(registry.all().map((d) => d.type));
    expect(cat.events["PowerOnRequested"]?.payload).toMatchObject({ type: "object", properties: { domain: { enum: ["l2", "tiler", "shader"] } } });
    expect(cat.envelope.required).toEqual(expect.arrayContaining(["id", "run", "seq", "timeNs", "depth", "source", "subject", "type", "cause"]));
    expect(Object.keys(cat.coordinator)).toEqual(["hello", "welcome", "levelRequest", "levelReply", "health", "runFinished"]);
    // the whole catalogue is plain JSON
    expect(JSON.parse(JSON.stringify(cat))).toEqual(cat);
  });
});
