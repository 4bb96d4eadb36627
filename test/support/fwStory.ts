import type { Envelope } from "../../shared/events/envelope.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { decodeBytes } from "../../services/memory/memoryWrites.ts";
import { GLB_OUTPUT } from "../../services/firmware/interfaces.ts";
import type { FwWorld } from "./fwBench.ts";

/** Event types a firmware story shows besides the firmware's own facts. */
const HARDWARE = new Set(["McuControlWritten", "DoorbellRung", "McuStatusChanged", "IrqRaised", "JobDispatched", "JobCompleted", "JobFaulted", "TranslationRequested", "TranslationCompleted", "AsFaultRaised"]);

/** A readable name for a physical address the firmware wrote: an interface block, a queue page, a user BO. */
export function namePa(w: FwWorld, pa: number, bytes = 0): string {
  const h = w.host;
  const va = sharedVa(w, pa);
  if (va === 0x0400_0000) return "control blocks";
  if (h !== undefined && va !== undefined) {
    if (va === h.glb.output) return bytes > GLB_OUTPUT.size ? "output blocks" : "GLB output";
    for (const [i, g] of h.ifaces.csg.entries()) {
      if (va === g.output) return `CSG${i} output`;
      for (const [j, c] of g.cs.entries()) if (va === c.output) return `CS${i}.${j} output`;
    }
    return `shared+0x${(va - 0x0400_0000).toString(16)}`;
  }
  if (pa === w.ioPa + PAGE_SIZE) return "ring output page";
  for (const bo of w.bos.values()) {
    if (pa >= bo.pa && pa < bo.pa + bo.bytes) return pa === bo.pa ? bo.name : `${bo.name}+0x${(pa - bo.pa).toString(16)}`;
  }
  return `pa 0x${pa.toString(16)}`;
}

/** The MCU VA of a PA inside the shared section. */
function sharedVa(w: FwWorld, pa: number): number | undefined {
  const s = w.fw?.sections.find((x) => pa >= x.pa && pa < x.pa + (x.va.end - x.va.start) && x.va.start === 0x0400_0000);
  return s === undefined ? undefined : s.va.start + (pa - s.pa);
}

/**
 * The firmware's side of a run, as `[time, type, payload]`: its facts, the hardware events it
 * causes or answers, and its memory writes named by what they hit (`{ to: "CS0.0 output", bytes: 216 }`).
 */
export function fwStory(events: readonly Envelope[], w: FwWorld, from = 0): unknown[] {
  return events
    .filter((e) => e.timeNs >= from && (e.source === "gpu0.fw" || HARDWARE.has(e.type)))
    .map((e) => {
      if (e.type !== "MemoryWritten") return [e.timeNs, e.type, e.payload];
      const p = e.payload as { pa: number; data: string };
      const bytes = decodeBytes(p.data).length;
      return [e.timeNs, "MemoryWritten", { to: namePa(w, p.pa, bytes), bytes }];
    });
}
