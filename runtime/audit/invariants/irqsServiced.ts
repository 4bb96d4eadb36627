import { EventRegistry } from "../../../shared/events/registry.ts";
import { IrqLineChanged } from "../../../services/regs/regsEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/**
 * How long an interrupt line may stay asserted: 10 ms of virtual time. Panthor's threaded
 * handlers answer within microseconds; 10 ms is far beyond any legitimate latency and well under
 * its 100 ms watchdogs.
 */
export const IRQ_SERVICE_BOUND_NS = 10_000_000;

/**
 * Every IRQ raise is eventually deasserted: an `IrqLineChanged asserted` is followed by the
 * line's deassertion within {@link IRQ_SERVICE_BOUND_NS}, or the run ends before the bound. A line
 * left asserted means nobody serviced the interrupt (a masked-off handler, a spurious raise no
 * handler clears, an interrupt storm).
 */
export const irqsServiced: InvariantDef = {
  name: "irqs-serviced",
  statement: "every interrupt raised is deasserted within 10 ms (or the run ends first)",
  create(report) {
    const asserted = new Map<string, { ref: EventRef; gpu: number; line: string; reported: boolean }>();
    const overdue = (a: { ref: EventRef; gpu: number; line: string; reported: boolean }, nowNs: number) => {
      if (a.reported || nowNs - a.ref.timeNs <= IRQ_SERVICE_BOUND_NS) return;
      a.reported = true;
      report({ message: `the ${a.line} line was asserted at ${a.ref.timeNs} ns and not deasserted within ${IRQ_SERVICE_BOUND_NS / 1e6} ms`, timeNs: nowNs, gpu: a.gpu, events: [a.ref] });
    };
    return {
      push(e) {
        if (asserted.size > 0) for (const a of asserted.values()) overdue(a, e.timeNs);
        if (!EventRegistry.is(IrqLineChanged, e)) return;
        const gpu = gpuOf(e) ?? 0;
        const key = `${gpu}/${e.payload.line}`;
        // A line reported asserted again while asserted keeps its first assertion's clock.
        if (e.payload.asserted) {
          if (!asserted.has(key)) asserted.set(key, { ref: refOf(e), gpu, line: e.payload.line, reported: false });
        }
        else asserted.delete(key);
      },
      finish(end) {
        for (const a of asserted.values()) overdue(a, end.timeNs);
      },
    };
  },
};
