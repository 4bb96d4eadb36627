import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { LevelBatchReplySchema, LevelReplySchema } from "./protocol.ts";
import { eventLine } from "../../shared/log/logFormat.ts";
import { parseLevelBatchReply, parseLevelBatchReplyText, parseLevelReply } from "./replyCheck.ts";

const draft = { timeNs: 2_000, depth: 1, source: "gpu0.fw", n: 4, id: "gpu0.fw:4", subject: "tyrsim.r1.gpu0.fw.csg.0.state", type: "CsgStateChanged", cause: "drv0:3", payload: { slot: 0 } };
const envelope = { id: "drv0:3", run: "r1", seq: 17, timeNs: 2_000, depth: 0, source: "drv0", subject: "tyrsim.r1.drv0.ioctl.done", type: "IoctlCompleted", cause: null, payload: { ret: 0 } };
const timer = { timeNs: 5_000, depth: 0, source: "gpu0.fw", n: 9 };

type Fields = Record<string, unknown>;
/** The parts of a batch reply the cases below spoil. */
type Wire = { replies: [{ drafts: [Fields] }]; ahead: [{ delivered: [Fields]; left: [Fields]; nextTimer: Fields }] };

/** A batch reply as a whole-GPU service sends it, fresh (JSON round trip) each time. */
const batchReply = () => JSON.parse(JSON.stringify({ replies: [{ drafts: [draft], nextTimer: null }], ahead: [{ delivered: [envelope], left: [draft], reached: { timeNs: 2_000, depth: 0 }, nextTimer: timer }] })) as unknown;

describe("reply validation at the coordinator", () => {
  it("accepts a well-formed reply as it is, equal to what the schema makes of it", () => {
    const reply = batchReply();
    expect(parseLevelBatchReply(reply)).toBe(reply);
    expect(parseLevelBatchReply(reply)).toEqual(LevelBatchReplySchema.parse(batchReply()));
    const level = JSON.parse(JSON.stringify({ drafts: [draft, { ...draft, n: 5, id: "gpu0.fw:5", cause: null, payload: [1, "x"] }], nextTimer: timer })) as unknown;
    expect(parseLevelReply(level)).toBe(level);
  });

  it("leaves fields the protocol does not know out, as the schema does", () => {
    // given a reply whose delivered event and draft carry an extra field
    const reply = batchReply() as Wire;
    reply.ahead[0].delivered[0]["note"] = "extra";
    reply.ahead[0].left[0]["note"] = "extra";
    // then what the coordinator takes has neither
    const parsed = parseLevelBatchReply(reply);
    expect(parsed.ahead?.[0]?.delivered[0]).toEqual(envelope);
    expect(parsed.ahead?.[0]?.left[0]).toEqual(draft);
  });

  it.each([
    ["a delivered event without a run", (r: Wire) => delete r.ahead[0].delivered[0]["run"], "run"],
    ["a negative time", (r: Wire) => (r.ahead[0].left[0]["timeNs"] = -1), "timeNs"],
    ["a fractional source counter", (r: Wire) => (r.replies[0].drafts[0]["n"] = 1.5), "n"],
    ["an empty subject", (r: Wire) => (r.replies[0].drafts[0]["subject"] = ""), "subject"],
    ["a cause that is a number", (r: Wire) => (r.ahead[0].delivered[0]["cause"] = 3), "cause"],
    ["a next timer without its source", (r: Wire) => delete r.ahead[0].nextTimer["source"], "source"],
    ["no replies", (r: Wire) => delete (r as Partial<Wire>).replies, "replies"],
  ])("rejects %s, naming the field", (_what, spoil, field) => {
    const reply = batchReply() as Wire;
    spoil(reply);
    let error: unknown;
    try {
      parseLevelBatchReply(reply);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZodError);
    expect((error as ZodError).issues[0]?.path).toContain(field);
  });

  it("rejects a level reply without its next timer", () => {
    expect(() => parseLevelReply({ drafts: [] })).toThrow(ZodError);
    expect(() => LevelReplySchema.parse({ drafts: [] })).toThrow(ZodError);
  });

  it("takes the canonical lines of what runs ahead delivered from the reply's text, run by run", () => {
    // given a reply of three runs ahead as a whole-GPU service writes it: two events, none, one
    const second = { ...envelope, id: "drv0:4", seq: 18, payload: { ret: -22, note: "µ" } };
    const third = { ...envelope, id: "gpu1.fw:2", source: "gpu1.fw", seq: 19 };
    const run = (events: object[]) =>
      events.length === 0
        ? `{"delivered":[],"left":[],"reached":null,"nextTimer":null}`
        : `{"delivered":[\n${events.map((e) => eventLine(e as never)).join(",\n")}\n],"canonicalLines":true,"left":[],"reached":null,"nextTimer":null}`;
    const text = `{"replies":[{"drafts":[],"nextTimer":null}],"ahead":[${run([envelope, second])},${run([])},${run([third])}]}`;
    // when the coordinator reads it
    const received = parseLevelBatchReplyText(text);
    // then each run has its events, and the lines they were written as
    expect(received.ahead?.map((a) => a.delivered)).toEqual([[envelope, second], [], [third]]);
    expect(received.ahead?.map((a) => a.lines)).toEqual([[eventLine(envelope as never), eventLine(second as never)], undefined, [eventLine(third as never)]]);
  });

  it("takes no lines from a reply whose text does not lay them out as marked, and reads its events all the same", () => {
    // given runs marked canonicalLines but written on one line, or with events out of their lines
    const one = JSON.stringify({ replies: [], ahead: [{ delivered: [envelope], canonicalLines: true, left: [], reached: null, nextTimer: null }] });
    const shifted = `{"replies":[],"ahead":[{"delivered":[\n${eventLine(envelope as never)}\n],"canonicalLines":true,"left":[],"reached":null,"nextTimer":null},{"delivered":[${eventLine({ ...envelope, id: "drv0:9" } as never)}],"canonicalLines":true,"left":[],"reached":null,"nextTimer":null}]}`;
    // when they are read, then the events are there, and lines only where the layout holds
    expect(parseLevelBatchReplyText(one).ahead?.[0]).toMatchObject({ delivered: [envelope] });
    expect(parseLevelBatchReplyText(one).ahead?.[0]?.lines).toBeUndefined();
    const unmarked = `{"replies":[],"ahead":[{"delivered":[\n${eventLine(envelope as never)}\n],"canonicalLines":false,"left":[],"reached":null,"nextTimer":null}]}`;
    expect(parseLevelBatchReplyText(unmarked).ahead?.[0]).toMatchObject({ delivered: [envelope], canonicalLines: false });
    expect(parseLevelBatchReplyText(unmarked).ahead?.[0]?.lines).toBeUndefined();
    const read = parseLevelBatchReplyText(shifted);
    expect(read.ahead?.[0]?.lines).toEqual([eventLine(envelope as never)]);
    expect(read.ahead?.[1]?.lines).toBeUndefined();
    expect(read.ahead?.[1]?.delivered[0]?.id).toBe("drv0:9");
  });
});
