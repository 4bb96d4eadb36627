import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { registerName } from "../../shared/gpu/registers.ts";
import {
  GpuSoftResetCompleted, IrqLineChanged, McuStatusChanged, MmioReadCompleted, MmioReadIssued, MmioWriteIssued, RegisterWriteIgnored,
} from "../../services/regs/regsEvents.ts";
import { StateTracks } from "../stateTracks.ts";
import type { TraceContext } from "../traceContext.ts";
import { hex } from "../traceEvent.ts";
import type { Pending } from "../traceQueue.ts";
import { actorTrack, gpuPid, gpuTrack } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/** MCU_STATUS values by number. */
const MCU_STATUS = ["DISABLED", "ENABLED", "HALT", "FATAL"] as const;
/** Accesses a burst lists in its args. */
const MAX_LISTED = 64;

/** Register accesses to one GPU in one instant, drawn as one slice. */
interface Burst {
  readonly gpu: number;
  readonly slice: Pending;
  readonly accesses: string[];
  readonly reads: Map<string, number>;
}

/**
 * The register file, the driver/hardware boundary: MMIO accesses on the GPU's `mmio` track — the
 * accesses of one instant as one zero-length slice (a driver reads `drm_panthor_gpu_info` as
 * dozens of reads in one instant, and Perfetto stacks instants of one timestamp on top of each
 * other), named by the access (`W GPU_CMD`, `R GPU_ID`) or `MMIO ×N`, each access with its value
 * in `args.accesses`; left out with `compact`. Dropped writes are instants there too; each IRQ
 * line's level changes are instants on `IRQ job|mmu|gpu` plus the `IRQ` level counter; MCU_STATUS
 * is a state track `MCU`; soft resets are instants on the register file's track.
 */
export function regsRenderer(ctx: TraceContext): Renderer {
  const states = new StateTracks(ctx);
  const gpuOf = (e: Envelope) => ctx.gpuOf(e) ?? 0;
  const mmio = (gpu: number) => gpuTrack(gpu, "mmio", "mmio");
  let burst: Burst | undefined;
  const close = () => {
    if (burst === undefined) return;
    const { slice, accesses } = burst;
    const listed = accesses.length > MAX_LISTED ? [...accesses.slice(0, MAX_LISTED), `… ${accesses.length - MAX_LISTED} more`] : accesses;
    ctx.end(slice, { count: accesses.length, accesses: listed }, accesses.length === 1 ? accesses[0]!.split(" = ")[0]! : `MMIO ×${accesses.length}`);
    burst = undefined;
  };
  const access = (e: Envelope, text: string): Burst => {
    if (burst !== undefined && burst.gpu !== gpuOf(e)) close();
    if (burst === undefined) burst = { gpu: gpuOf(e), slice: ctx.begin(mmio(gpuOf(e)), text, "mmio", {}, e), accesses: [], reads: new Map() };
    else ctx.stand(e, burst.slice);
    burst.accesses.push(text);
    return burst;
  };

  return {
    types: [MmioWriteIssued.type, MmioReadIssued.type, MmioReadCompleted.type, IrqLineChanged.type, RegisterWriteIgnored.type, McuStatusChanged.type, GpuSoftResetCompleted.type],
    draw(e) {
      if (EventRegistry.is(MmioWriteIssued, e)) {
        if (!ctx.compact) access(e, `W ${registerName(e.payload.offset)} = ${hex(e.payload.value)}`);
      } else if (EventRegistry.is(MmioReadIssued, e)) {
        if (!ctx.compact) access(e, `R ${registerName(e.payload.offset)}`).reads.set(e.payload.tag, burst!.accesses.length - 1);
      } else if (EventRegistry.is(MmioReadCompleted, e)) {
        const i = burst?.reads.get(e.payload.tag);
        if (burst !== undefined && i !== undefined) {
          burst.accesses[i] += ` = ${hex(e.payload.value)}`;
          burst.reads.delete(e.payload.tag);
          ctx.alias(e, burst.slice);
        } else if (!ctx.compact) ctx.instant(mmio(gpuOf(e)), `R ${e.payload.name} = ${hex(e.payload.value)}`, "mmio", { tag: e.payload.tag }, e);
      } else if (EventRegistry.is(IrqLineChanged, e)) {
        const { line, asserted, status } = e.payload;
        ctx.instant(gpuTrack(gpuOf(e), "irq", `IRQ ${line}`), asserted ? `${line} asserted` : `${line} deasserted`, "irq", { status: hex(status) }, e);
        ctx.counter(gpuPid(gpuOf(e)), "IRQ", { [line]: asserted ? 1 : 0 });
      } else if (EventRegistry.is(RegisterWriteIgnored, e)) {
        const { name, value, reason } = e.payload;
        ctx.instant(mmio(gpuOf(e)), `W ${name} ignored: ${reason}`, "rejection", { value: hex(value), reason }, e);
      } else if (EventRegistry.is(McuStatusChanged, e)) {
        const status = MCU_STATUS[e.payload.status] ?? String(e.payload.status);
        states.set(gpuTrack(gpuOf(e), "csg", "MCU"), status, "firmware", {}, e);
      } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
        ctx.instant(actorTrack(e.source), `${e.payload.kind} reset completed`, "reset", {}, e);
      }
    },
    tick: close,
    finish: () => states.finish(),
  };
}
