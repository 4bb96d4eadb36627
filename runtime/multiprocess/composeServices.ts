import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { GPU_KIND, SERVICE_KINDS, type ProcessKind, type ServiceKind } from "./partition.ts";

/** A service of the deployment as docker-compose.yml lists it. */
export interface ComposeService {
  readonly name: string;
  readonly kind: ProcessKind;
  readonly entry: string;
  readonly gpus: string;
}

/**
 * The actor services of `docker-compose.yml` (every service whose environment sets
 * TYRSIM_SERVICE_KIND), so `tyrsim up` starts exactly the list compose would.
 */
export function composeServices(path = "docker-compose.yml"): ComposeService[] {
  const doc = parse(readFileSync(path, "utf8"), { merge: true }) as { services?: Record<string, { command?: string[]; environment?: Record<string, unknown> }> };
  const out: ComposeService[] = [];
  for (const [name, svc] of Object.entries(doc.services ?? {})) {
    const kind = svc.environment?.["TYRSIM_SERVICE_KIND"];
    if (typeof kind !== "string") continue;
    if (!(SERVICE_KINDS as readonly string[]).includes(kind)) throw new Error(`${path}: service ${name}: unknown TYRSIM_SERVICE_KIND '${kind}'`);
    const entry = svc.command?.[0];
    if (entry === undefined) throw new Error(`${path}: service ${name}: no command (the service's main.ts)`);
    out.push({ name, kind: kind as ServiceKind, entry, gpus: String(svc.environment?.["TYRSIM_GPUS"] ?? "all") });
  }
  return out;
}

/**
 * Shard a service list over a fleet: each service becomes `shards` services, shard k serving the
 * GPUs g with g mod shards = k (`<name>-<k>`, TYRSIM_GPUS set accordingly). Shards with no GPU are
 * left out. One shard is the list unchanged.
 */
export function shardServices(services: readonly ComposeService[], shards: number, gpus: number): ComposeService[] {
  if (shards <= 1) return [...services];
  const out: ComposeService[] = [];
  for (const svc of services) {
    for (let k = 0; k < shards; k++) {
      const mine = Array.from({ length: gpus }, (_, g) => g).filter((g) => g % shards === k);
      if (mine.length > 0) out.push({ ...svc, name: `${svc.name}-${k}`, gpus: mine.join(",") });
    }
  }
  return out;
}

/**
 * The whole-GPU deployment (`tyrsim up --gpu-processes K`): K processes, process k hosting every
 * actor of the GPUs g with g mod K = k (`gpu-<k>`), each GPU a partition it runs ahead on its own.
 * Processes with no GPU are left out.
 */
export function gpuServices(processes: number, gpus: number): ComposeService[] {
  const out: ComposeService[] = [];
  for (let k = 0; k < processes; k++) {
    const mine = Array.from({ length: gpus }, (_, g) => g).filter((g) => g % processes === k);
    if (mine.length > 0) out.push({ name: `${GPU_KIND}-${k}`, kind: GPU_KIND, entry: "services/gpu/main.ts", gpus: mine.join(",") });
  }
  return out;
}
