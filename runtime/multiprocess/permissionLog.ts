import type { NatsTransport } from "../../shared/bus/natsTransport.ts";

/**
 * Say so, on the process's log, when the NATS server refuses one of this connection's publishes
 * or subscriptions for lack of permission (deploy/nats/tyrsim.conf). The server keeps the
 * connection open and only reports the violation asynchronously (`-ERR 'Permissions Violation
 * for Publish to "…"'`), so without this a refused message would vanish silently. Returns the
 * lines logged, for tests.
 */
export function logPermissionViolations(transport: NatsTransport, who: string, log: (line: string) => void): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of transport.connection.status()) {
      if (s.type !== "error") continue;
      const message = s.error instanceof Error ? s.error.message : String(s.error);
      if (!/permissions violation/i.test(message)) continue;
      const line = `${who}: NATS refused: ${message}`;
      seen.push(line);
      log(line);
    }
  })();
  return seen;
}
