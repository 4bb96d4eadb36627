import { EventRegistry } from "../../shared/events/registry.ts";
import { PAGE_SHIFT } from "../../shared/gpu/physicalMemory.ts";
import { MemoryWritten } from "../../services/memory/memoryEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import { gpuPid } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/** Bytes a standard base64 string decodes to. */
const base64Bytes = (data: string): number => (data.length / 4) * 3 - (data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0);

/**
 * System RAM as counters of the GPU's process: bytes written so far by each agent
 * (`memory cpu bytes written`, `… mcu …`, `… shader …`) and the number of distinct 4 KiB frames
 * any write has touched (`memory frames touched`). The set of touched frames is the only state,
 * bounded by the model's RAM.
 */
export function memoryRenderer(ctx: TraceContext): Renderer {
  const written = new Map<string, number>();
  const frames = new Map<number, Set<number>>();
  return {
    types: [MemoryWritten.type],
    draw(e) {
      if (!EventRegistry.is(MemoryWritten, e)) return;
      const { agent, pa, data } = e.payload;
      const gpu = ctx.gpuOf(e) ?? 0;
      const len = base64Bytes(data);
      const key = `${gpu}/${agent}`;
      const total = (written.get(key) ?? 0) + len;
      written.set(key, total);
      const touched = frames.get(gpu) ?? new Set<number>();
      frames.set(gpu, touched);
      if (len > 0) for (let f = Math.floor(pa / 2 ** PAGE_SHIFT); f <= Math.floor((pa + len - 1) / 2 ** PAGE_SHIFT); f++) touched.add(f);
      ctx.counter(gpuPid(gpu), "memory", { [`${agent} bytes written`]: total, "frames touched": touched.size });
    },
    finish() {},
  };
}
