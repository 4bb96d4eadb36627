import { filter, firstValueFrom, timeout } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, useTestNatsServer, type TestNatsServer } from "../process/natsServer.ts";
import { connectNatsTransport } from "./natsTransport.ts";
import { RequestAbandonedError } from "./natsReplyInbox.ts";
import type { TransportMessage } from "./transport.ts";
import { firstN, runTransportContract, textOf } from "./transportContract.ts";

let shared: TestNatsServer;
beforeAll(async () => {
  shared = await useTestNatsServer();
});
afterAll(async () => {
  await shared.dispose();
});

runTransportContract("nats", async () => {
  const transport = await connectNatsTransport({ servers: shared.url, name: "tyrsim-contract-test", waitOnFirstConnect: false });
  return { transport, cleanup: () => transport.close() };
});

describe("nats transport", () => {
  it("matches each of many concurrent requests with its own reply through one reply inbox", async () => {
    const transport = await connectNatsTransport({ servers: shared.url, name: "tyrsim-inbox-test", waitOnFirstConnect: false });
    try {
      // given a responder that answers in reverse order of arrival
      const held: TransportMessage[] = [];
      const responder = transport.subscribe("inbox.svc").subscribe((m) => {
        held.push(m);
        if (held.length === 20) for (const x of held.reverse()) x.respond(`re:${textOf(x.data)}`);
      });
      await transport.flush();
      // when 20 requests are in flight at once
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => transport.request("inbox.svc", `q${i}`, { timeoutMs: 5000 })));
      responder.unsubscribe();
      // then each got the answer to its own question
      expect(replies.map((r) => textOf(r.data))).toEqual(Array.from({ length: 20 }, (_, i) => `re:q${i}`));
    } finally {
      await transport.close();
    }
  });

  it("rejects a request still waiting for its reply when the connection closes, instead of leaving it waiting", async () => {
    const transport = await connectNatsTransport({ servers: shared.url, name: "tyrsim-inbox-close-test", waitOnFirstConnect: false });
    const silent = transport.subscribe("inbox.silent").subscribe(() => undefined);
    await transport.flush();
    const pending = transport.request("inbox.silent", "hi", { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await transport.flush();
    silent.unsubscribe();
    await transport.close();
    expect(await pending).toBeInstanceOf(RequestAbandonedError);
  });

  it("reconnects and keeps delivering after the NATS server restarts", async () => {
    const own = await startNatsServer();
    const transport = await connectNatsTransport({ servers: own.url, name: "tyrsim-restart-test", reconnectTimeWaitMs: 100 });
    try {
      const reconnected = firstValueFrom(
        transport.status().pipe(
          filter((s) => s.kind === "reconnected"),
          timeout(10_000),
        ),
      );
      const got = firstN(transport.subscribe("restart.>"), 2);
      transport.publish("restart.a", "before");
      await transport.flush();

      await own.stop();
      await own.restart();
      await reconnected;

      transport.publish("restart.b", "after");
      await transport.flush();
      expect((await got).map((m) => `${m.subject}=${textOf(m.data)}`)).toEqual(["restart.a=before", "restart.b=after"]);
    } finally {
      await transport.close();
      await own.dispose();
    }
  });
});
