import { afterAll, beforeAll } from "vitest";
import { startNatsServer, type NatsServerHandle } from "../../shared/process/natsServer.ts";

/**
 * A private nats-server for the suite that calls this (started before its tests, stopped after):
 * runs are named `<scenario>-<seed>`, so a suite's runs must not meet another suite's on a shared
 * server, and some suites stop or restart theirs. Returns the running server.
 */
export function privateNatsServer(): () => NatsServerHandle {
  let server: NatsServerHandle | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return () => {
    if (server === undefined) throw new Error("the private nats-server is not started yet (use it inside a test)");
    return server;
  };
}
