import { afterAll, beforeAll } from "vitest";
import { MemoryTransport } from "../../shared/bus/memoryTransport.ts";
import { connectNatsTransport } from "../../shared/bus/natsTransport.ts";
import type { Transport } from "../../shared/bus/transport.ts";
import { useTestNatsServer, type TestNatsServer } from "../../shared/process/natsServer.ts";
import type { Simulation } from "../../shared/runtime/simulation.ts";

/** Wait (wall clock, test only) until the simulation has queued `n` inputs from outside. */
export async function queued(sim: Simulation, n: number, tries = 300): Promise<void> {
  for (let i = 0; i < tries && sim.scheduler.pending < n; i++) await new Promise((r) => setTimeout(r, 10));
}

/**
 * The two transports outside inputs are tested over — the in-memory bus and a NATS server (the
 * shared one when it answers, else a private one) — as `[label, make]` pairs for `describe.each`.
 * Registers the file's beforeAll/afterAll that hold the NATS server.
 */
export function inputTransports(labels: { memory: string; nats: string }, clientName: string): [string, () => Promise<Transport>][] {
  let nats: TestNatsServer;
  beforeAll(async () => {
    nats = await useTestNatsServer();
  });
  afterAll(async () => {
    await nats.dispose();
  });
  return [
    [labels.memory, () => Promise.resolve(new MemoryTransport())],
    [labels.nats, () => connectNatsTransport({ servers: nats.url, name: clientName, waitOnFirstConnect: false })],
  ];
}
