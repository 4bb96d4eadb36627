import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestNatsServer, type TestNatsServer } from "../process/natsServer.ts";
import { closeNats } from "./natsClose.ts";

let server: TestNatsServer;
beforeAll(async () => {
  server = await useTestNatsServer();
});
afterAll(async () => {
  await server.dispose();
});

describe("closeNats", () => {
  it("closes the connection with a close trace of no frames, and leaves stack traces as they were", async () => {
    // given an open connection, and stack traces at their usual depth
    const nc = await connect({ servers: server.url, name: "tyrsim-close-test" });
    const before = Error.stackTraceLimit;
    // when it is closed
    await closeNats(nc);
    // then it is closed, the client's record of why holds no frame to map through source maps
    expect(nc.isClosed()).toBe(true);
    const why = (nc as unknown as { protocol: { whyClosed: string } }).protocol.whyClosed;
    expect(why).toBe("Error: close trace");
    // and errors made afterwards have their frames again
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error("later").stack?.split("\n").length).toBeGreaterThan(1);
  });
});
