import { filter, firstValueFrom, timeout } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, useTestNatsServer, type TestNatsServer } from "../process/natsServer.ts";
import { connectNatsTransport } from "./natsTransport.ts";
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
