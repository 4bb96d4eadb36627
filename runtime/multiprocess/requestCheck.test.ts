import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { LevelBatchRequestSchema, LevelRequestSchema } from "./protocol.ts";
import { parseLevelBatchRequest, parseLevelRequest } from "./requestCheck.ts";

const envelope = { id: "drv0:3", run: "r1", seq: 17, timeNs: 2_000, depth: 0, source: "drv0", subject: "tyrsim.r1.gpu0.mem.write", type: "MemoryWritten", cause: null, payload: { agent: "cpu", pa: 4096, data: "AQI=" } };
const draft = { timeNs: 2_000, depth: 1, source: "gpu0.fw", n: 4, id: "gpu0.fw:4", subject: "tyrsim.r1.gpu0.fw.csg.0.state", type: "CsgStateChanged", cause: "drv0:3", payload: { slot: 0 } };

type Fields = Record<string, unknown>;
/** The parts of a batch request the cases below spoil. */
type Wire = { batch: [Fields & { events: [Fields]; level: Fields; earlier: [{ level: Fields; events: [Fields] }] }]; ahead: [Fields & { events: [Fields] }] };

/** A batch request as the coordinator sends it, fresh (JSON round trip) each time. */
const batchRequest = () =>
  JSON.parse(
    JSON.stringify({
      batch: [{ round: 9, level: { timeNs: 3_000, depth: 0 }, events: [envelope], stopBefore: null, partition: 0, earlier: [{ level: { timeNs: 2_000, depth: 0 }, events: [envelope] }] }],
      ahead: [{ round: 9, partition: 1, events: [draft], before: { timeNs: 9_000, depth: 0 }, untilNs: 20_000, seqBase: 40, maxBytes: 65_536 }],
    }),
  ) as unknown;

describe("request validation at a service", () => {
  it("accepts a well-formed request as it is, equal to what the schema makes of it", () => {
    const request = batchRequest();
    expect(parseLevelBatchRequest(request)).toBe(request);
    expect(parseLevelBatchRequest(request)).toEqual(LevelBatchRequestSchema.parse(batchRequest()));
    const level = JSON.parse(JSON.stringify({ round: 1, level: { timeNs: 0, depth: 0 }, events: [], stopBefore: { timeNs: 5, depth: 0, source: "gpu0.fw", n: 1 } })) as unknown;
    expect(parseLevelRequest(level)).toBe(level);
  });

  it("leaves fields the protocol does not know out, as the schema does", () => {
    // given a request whose event and held-back level carry an extra field
    const request = batchRequest() as Wire;
    request.batch[0].events[0]["note"] = "extra";
    request.batch[0].earlier[0].level["note"] = "extra";
    // then what the service takes has neither
    const parsed = parseLevelBatchRequest(request);
    expect(parsed.batch[0]?.events[0]).toEqual(envelope);
    expect(parsed.batch[0]?.earlier?.[0]?.level).toEqual({ timeNs: 2_000, depth: 0 });
  });

  it.each([
    ["an event without a run", (r: Wire) => delete r.batch[0].events[0]["run"], "run"],
    ["a negative round", (r: Wire) => (r.batch[0]["round"] = -1), "round"],
    ["a held-back level without its depth", (r: Wire) => delete r.batch[0].earlier[0].level["depth"], "depth"],
    ["a run ahead with no byte budget to speak of", (r: Wire) => (r.ahead[0]["maxBytes"] = 0), "maxBytes"],
    ["a run ahead whose draft has no id", (r: Wire) => delete r.ahead[0].events[0]["id"], "id"],
    ["no batch", (r: Wire) => delete (r as Partial<Wire>).batch, "batch"],
  ])("rejects %s, naming the field", (_what, spoil, field) => {
    const request = batchRequest() as Wire;
    spoil(request);
    let error: unknown;
    try {
      parseLevelBatchRequest(request);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZodError);
    expect((error as ZodError).issues[0]?.path).toContain(field);
  });

  it("rejects a level request without stopBefore", () => {
    expect(() => parseLevelRequest({ round: 1, level: { timeNs: 0, depth: 0 }, events: [] })).toThrow(ZodError);
    expect(() => LevelRequestSchema.parse({ round: 1, level: { timeNs: 0, depth: 0 }, events: [] })).toThrow(ZodError);
  });
});
