import { filter, firstValueFrom, take, tap, timeout, toArray, type Observable } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { defineEvent, EventRegistry } from "../events/registry.ts";
import { subjectOf } from "../events/subjects.ts";
import { MessageRejected, SYS_ERROR_PATH, systemEvents } from "../events/systemEvents.ts";
import { EventBus } from "./eventBus.ts";
import { InvalidSubjectError, NoRespondersError, RequestTimeoutError, type Transport, type TransportData } from "./transport.ts";

/** A transport under test and how to release it (close, stop a server). */
export interface TransportFixture {
  readonly transport: Transport;
  cleanup(): Promise<void>;
}

/** Test-only event: a ping with a counter, to check what the EventBus accepts and rejects. */
export const TestPinged = defineEvent("TestPinged", z.object({ n: z.number().int() }), "Contract-test ping.");

/** Patience for one expected delivery: generous for a loaded CI box, never reached when green. */
const WAIT_MS = 5_000;
const decoder = new TextDecoder();
let nextNamespace = 0;

/** The text of delivered data, whichever form the transport hands over. */
export function textOf(data: TransportData): string {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return decoder.decode(data);
  return JSON.stringify(data);
}

/** The first `n` values of `source`, or a timeout error naming how many were expected. */
export function firstN<T>(source: Observable<T>, n: number): Promise<T[]> {
  return firstValueFrom(source.pipe(take(n), toArray(), timeout({ first: WAIT_MS, each: WAIT_MS })));
}

function ping(run: string, n: number): Envelope {
  return makeEnvelope({
    id: `contract:${n}`,
    run,
    seq: n,
    timeNs: 0,
    depth: 0,
    source: "contract",
    subject: subjectOf(run, "test.ping"),
    type: TestPinged.type,
    cause: null,
    payload: { n },
  });
}

/** Raw messages an EventBus must reject (built from a valid ping), with the field and reason it must name. */
const BAD_MESSAGES: readonly { label: string; raw: (good: Envelope) => string; field: string; reason: RegExp }[] = [
  { label: "malformed JSON", raw: () => '{"id": "x", ', field: "(json)", reason: /not valid JSON/ },
  {
    label: "an unknown event type",
    raw: (good) => JSON.stringify({ ...good, type: "NoSuchEvent" }),
    field: "type",
    reason: /unknown event type 'NoSuchEvent'/,
  },
  {
    label: "a payload field of the wrong type",
    raw: (good) => JSON.stringify({ ...good, payload: { n: "one" } }),
    field: "payload.n",
    reason: /number/,
  },
];

/**
 * The behaviour every `Transport` must show, registered as vitest cases so the memory bus and NATS
 * are held to the same sentences. Subjects are namespaced per test (process id and a counter), so
 * suites can share one NATS server with other test files running at the same time.
 */
export function runTransportContract(name: string, makeTransport: () => Promise<TransportFixture>): void {
  describe(`${name} transport contract`, () => {
    let fixture: TransportFixture;
    let t: Transport;
    let ns: string;

    beforeEach(async () => {
      fixture = await makeTransport();
      t = fixture.transport;
      ns = `contract.p${process.pid}.n${nextNamespace++}`;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Subjects a subscription to `pattern` receives from publishing `subjects`, up to `sentinel`. */
    async function delivered(pattern: string, subjects: string[], sentinel: string): Promise<string[]> {
      const all: string[] = [];
      const done = firstValueFrom(
        t.subscribe(pattern).pipe(
          tap((m) => all.push(m.subject)),
          filter((m) => m.subject === sentinel),
          timeout(WAIT_MS),
        ),
      );
      for (const s of [...subjects, sentinel]) t.publish(s, s);
      await t.flush();
      await done;
      return all;
    }

    it("matches `*` to exactly one token: `a.*` gets `a.b` but neither `a` nor `a.b.c`", async () => {
      const got = await delivered(`${ns}.a.*`, [`${ns}.a`, `${ns}.a.b.c`, `${ns}.a.b`], `${ns}.a.end`);
      expect(got).toEqual([`${ns}.a.b`, `${ns}.a.end`]);
    });

    it("matches `>` to one or more trailing tokens: `a.>` gets `a.b` and `a.b.c` but not `a` or `ab.c`", async () => {
      const got = await delivered(`${ns}.a.>`, [`${ns}.a`, `${ns}.a.b`, `${ns}.ab.c`, `${ns}.a.b.c`], `${ns}.a.end`);
      expect(got).toEqual([`${ns}.a.b`, `${ns}.a.b.c`, `${ns}.a.end`]);
    });

    it("gives every matching subscription its own copy", async () => {
      const exact = firstN(t.subscribe(`${ns}.x.y`), 1);
      const wild = firstN(t.subscribe(`${ns}.*.y`), 1);
      t.publish(`${ns}.x.y`, "copy");
      await t.flush();
      expect((await exact).map((m) => textOf(m.data))).toEqual(["copy"]);
      expect((await wild).map((m) => textOf(m.data))).toEqual(["copy"]);
    });

    it("delivers 1000 messages on one subscription in publication order", async () => {
      const got = firstN(t.subscribe(`${ns}.order.*`), 1000);
      const sent = Array.from({ length: 1000 }, (_, i) => String(i));
      for (const s of sent) t.publish(`${ns}.order.${Number(s) % 3}`, s);
      await t.flush();
      expect((await got).map((m) => textOf(m.data))).toEqual(sent);
    });

    it("carries text and bytes unchanged and objects as JSON", async () => {
      const got = firstN(t.subscribe(`${ns}.data`), 3);
      t.publish(`${ns}.data`, "text é");
      t.publish(`${ns}.data`, new TextEncoder().encode("bytes"));
      t.publish(`${ns}.data`, { k: [1, 2] });
      await t.flush();
      expect((await got).map((m) => textOf(m.data))).toEqual(["text é", "bytes", '{"k":[1,2]}']);
    });

    it("stops delivering to a subscription once it is unsubscribed", async () => {
      const subject = `${ns}.unsub`;
      const received: string[] = [];
      const probe = firstN(t.subscribe(subject), 2);
      const firstArrived = firstN(t.subscribe(subject), 1);
      const sub = t.subscribe(subject).subscribe((m) => received.push(textOf(m.data)));
      t.publish(subject, "before");
      await t.flush();
      await firstArrived;
      sub.unsubscribe();
      t.publish(subject, "after");
      await t.flush();
      expect((await probe).map((m) => textOf(m.data))).toEqual(["before", "after"]);
      expect(received).toEqual(["before"]);
    });

    it("answers a request through a subscriber that responds", async () => {
      const responder = t.subscribe(`${ns}.svc.echo`).subscribe((m) => m.respond(`echo:${textOf(m.data)}`));
      const reply = await t.request(`${ns}.svc.echo`, "hi", { timeoutMs: WAIT_MS });
      responder.unsubscribe();
      expect(textOf(reply.data)).toBe("echo:hi");
    });

    it("rejects a request nobody subscribes to with NoRespondersError naming the subject", async () => {
      const err = await t.request(`${ns}.svc.nobody`, "hi", { timeoutMs: WAIT_MS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoRespondersError);
      expect((err as NoRespondersError).subject).toBe(`${ns}.svc.nobody`);
    });

    it("rejects a request whose responder stays silent with RequestTimeoutError", async () => {
      const silent = t.subscribe(`${ns}.svc.silent`).subscribe(() => undefined);
      const err = await t.request(`${ns}.svc.silent`, "hi", { timeoutMs: 200 }).catch((e: unknown) => e);
      silent.unsubscribe();
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as RequestTimeoutError).timeoutMs).toBe(200);
    });

    it("refuses wildcards, empty tokens and white space in subjects with InvalidSubjectError", async () => {
      for (const bad of [`${ns}.*`, `${ns}.>`, "", `${ns}..x`, `${ns}.a b`, `${ns}.x.`]) {
        expect(() => t.publish(bad, "x"), `publish '${bad}'`).toThrow(InvalidSubjectError);
      }
      for (const bad of ["", `${ns}.>.x`, `${ns}..x`, `${ns}.a\tb`, `${ns}.a>`]) {
        expect(() => t.subscribe(bad), `subscribe '${bad}'`).toThrow(InvalidSubjectError);
      }
      await expect(t.request(`${ns}.*`, "x", { timeoutMs: 100 })).rejects.toBeInstanceOf(InvalidSubjectError);
    });

    describe("through an EventBus", () => {
      const registry = new EventRegistry().register(...systemEvents, TestPinged);

      it.each(BAD_MESSAGES)("reports $label on sys.error and keeps delivering the valid message after it", async (bad) => {
        const run = ns.replaceAll(".", "-");
        const bus = new EventBus(t, registry, { run, service: "contract" });
        const rejections = firstN(bus.events(subjectOf(run, SYS_ERROR_PATH)), 1);
        const pings = firstN(bus.events(subjectOf(run, "test.>")), 1);

        t.publish(subjectOf(run, "test.ping"), bad.raw(ping(run, 0)));
        bus.publish(ping(run, 7));
        await t.flush();

        const [rejected] = await rejections;
        expect(rejected?.type).toBe(MessageRejected.type);
        expect(rejected?.payload).toMatchObject({ subject: subjectOf(run, "test.ping"), field: bad.field });
        expect((rejected?.payload as { reason: string }).reason).toMatch(bad.reason);
        expect((await pings).map((e) => e.payload)).toEqual([{ n: 7 }]);
      });
    });
  });
}
