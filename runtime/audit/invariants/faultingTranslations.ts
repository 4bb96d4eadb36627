import { EventRegistry } from "../../../shared/events/registry.ts";
import { AsFaultRaised, TranslationCompleted } from "../../../services/mmu/mmuEvents.ts";
import { JobCompleted } from "../../../services/shader/shaderEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/**
 * A faulting translation is a fault: when the MMU answers a translation with a fresh (not
 * latched) fault on a present AS, it latched it — an `AsFaultRaised` of that AS and address in
 * the same instant — and the job whose ranges faulted never reports `JobCompleted`.
 */
export const faultingTranslations: InvariantDef = {
  name: "faults-are-raised-and-final",
  statement: "every faulting translation raised AsFaultRaised and its job did not complete",
  reads: [AsFaultRaised, TranslationCompleted, JobCompleted],
  create(report, ctx) {
    const asPresent = ctx.model.present.as_present;
    const lastFault = new Map<string, { ref: EventRef; address: number }>();
    const faulted = new Map<string, EventRef>();
    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(AsFaultRaised, e)) {
          lastFault.set(`${gpu}/${e.payload.as}`, { ref: refOf(e), address: e.payload.faultAddress });
        } else if (EventRegistry.is(TranslationCompleted, e) && !e.payload.ok) {
          const f = e.payload.fault;
          faulted.set(`${gpu}/${e.payload.job}`, refOf(e));
          if (f === undefined || f.latched || Math.floor(asPresent / 2 ** e.payload.as) % 2 === 0) return;
          const raised = lastFault.get(`${gpu}/${e.payload.as}`);
          if (raised === undefined || raised.ref.timeNs !== e.timeNs || raised.address !== f.faultAddress) {
            report({
              message: `AS${e.payload.as} answered job ${e.payload.job} with fault ${f.exceptionName} at 0x${f.faultAddress.toString(16)} but latched no AsFaultRaised for it`,
              timeNs: e.timeNs, gpu, events: [refOf(e)],
            });
          }
        } else if (EventRegistry.is(JobCompleted, e)) {
          const by = faulted.get(`${gpu}/${e.payload.job}`);
          if (by !== undefined) report({ message: `job ${e.payload.job} completed after its translation faulted`, timeNs: e.timeNs, gpu, events: [by, refOf(e)] });
        }
      },
      finish() {},
    };
  },
};
