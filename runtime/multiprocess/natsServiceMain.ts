import { runServiceProcess, serviceConfigFromEnv } from "./natsService.ts";
import type { ProcessKind } from "./partition.ts";

/** What every `services/<kind>/main.ts` does: configure from the environment, serve, exit 0 — or 1 with the reason. */
export async function runServiceFromEnv(kind: ProcessKind): Promise<void> {
  try {
    await runServiceProcess(serviceConfigFromEnv(kind));
    process.exit(0);
  } catch (e) {
    process.stderr.write(`tyrsim ${kind} service: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
