import type { ActorSpec } from "../../shared/actor/actor.ts";

/** The kinds of actor service, one process each per GPU group (as in docker-compose.yml). */
export const SERVICE_KINDS = ["memory", "regs", "power", "mmu", "shader", "firmware", "driver", "led", "workload"] as const;
/** A kind of service. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

const KIND_OF_SUFFIX: Record<string, ServiceKind> = { mem: "memory", regs: "regs", pwr: "power", mmu: "mmu", shader: "shader", fw: "firmware" };

/**
 * The whole-GPU service: every actor of its GPUs in one process, each GPU a closed partition the
 * coordinator lets it run ahead on its own (`tyrsim up --gpu-processes K`). Not a compose service kind.
 */
export const GPU_KIND = "gpu";
/** A kind of service process: one actor kind, or whole GPUs. */
export type ProcessKind = ServiceKind | typeof GPU_KIND;

/** Which kind of service hosts an actor, and for which GPU: `gpu3.mmu` → mmu of GPU 3, `drv1` → driver of GPU 1, `wl0.game` → workload of GPU 0. */
export function placementOf(actor: string): { kind: ServiceKind; gpu: number } | undefined {
  // The LED tutorial's GPIO bank and driver (`led.gpio`, `led.drv`): one instance, with GPU 0's shard.
  if (actor.startsWith("led.")) return { kind: "led", gpu: 0 };
  const drv = /^drv(\d+)$/.exec(actor);
  if (drv !== null) return { kind: "driver", gpu: Number(drv[1]) };
  // Userspace clients (`wl<N>.<name>`) run beside the driver of their GPU, in the workload service.
  const wl = /^wl(\d+)\.[a-z0-9-]+$/.exec(actor);
  if (wl !== null) return { kind: "workload", gpu: Number(wl[1]) };
  const hw = /^gpu(\d+)\.([a-z]+)$/.exec(actor);
  if (hw === null) return undefined;
  const kind = KIND_OF_SUFFIX[hw[2] as string];
  return kind === undefined ? undefined : { kind, gpu: Number(hw[1]) };
}

/** The actors a service of `kind` serving `gpus` owns, and the shadows it needs (the memory replica of each GPU it serves; none for whole GPUs). */
export function actorsOfService(world: readonly ActorSpec[], kind: ProcessKind, gpus: ReadonlySet<number>): { owned: ActorSpec[]; shadows: ActorSpec[] } {
  const owned: ActorSpec[] = [];
  const shadows: ActorSpec[] = [];
  for (const a of world) {
    const p = placementOf(a.name);
    if (p === undefined || !gpus.has(p.gpu)) continue;
    if (kind === GPU_KIND || p.kind === kind) owned.push(a);
    else if (p.kind === "memory") shadows.push(a);
  }
  return { owned, shadows };
}

/** Actors of the world no service owns, or owned twice: the deployment is wrong, say which. */
export function checkOwnership(world: readonly ActorSpec[], owners: ReadonlyMap<string, string[]>): string[] {
  const problems: string[] = [];
  for (const a of world) {
    const by = owners.get(a.name) ?? [];
    if (by.length === 0) problems.push(`actor ${a.name} is hosted by no service`);
    if (by.length > 1) problems.push(`actor ${a.name} is hosted by ${by.join(" and ")}`);
  }
  return problems;
}
