/**
 * The fault family of events. One input type, `FaultInjected`, carries any fault of the
 * catalogue and an optional trigger; the actor that applies the kind answers with facts:
 * `FaultArmed` (it took the fault and waits for its trigger or condition), `FaultApplied` (the
 * fault acted, published just before the effects it causes, in the same reaction) and
 * `FaultRejected` (it cannot apply it in this world). Why one family rather than one type per
 * kind: a single schema to validate, a single subject to publish on, one trigger mechanism, and
 * a report that can follow any fault the same way. The older per-kind inputs
 * (`PowerSupplyFaultArmed`, `JobFaultInjected`, `FirmwareFaultInjected`) keep working and
 * report `FaultApplied` too.
 */
import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { FAULT_CATALOGUE, applierName } from "./faultCatalogue.ts";
import { FAULT_KINDS, FaultSpecSchema } from "./faultKinds.ts";
import { TriggerSchema } from "./trigger.ts";

/** Subject paths of the fault family: inputs on `fault.inject`, the appliers' facts beside it (`tyrsim tail <log> 'fault.>'`). */
export const FAULT_PATHS = {
  inject: INJECT_PATH,
  armed: "fault.armed",
  applied: "fault.applied",
  rejected: "fault.rejected",
} as const;

const kind = z.enum(FAULT_KINDS as [string, ...string[]]);
const faultId = z.string().min(1).describe("id of the event that injected the fault (FaultInjected or a legacy fault event)");
const gpu = z.number().int().nonnegative();

/**
 * The payload of a fault input: the fault, and optionally when it acts. Beyond the kind's own
 * schema it checks that a pending kind is not asked for (rejected with the reason) and that the
 * trigger counts an event type the applying actor receives.
 */
export const FaultInjectedSchema = z
  .strictObject({
    fault: FaultSpecSchema,
    trigger: TriggerSchema.optional(),
    /** A name for reports ("hang the 3rd job of AS 2"). */
    label: z.string().min(1).optional(),
  })
  .superRefine((v, ctx) => {
    const info = FAULT_CATALOGUE[v.fault.kind];
    if (info.status === "pending") {
      ctx.addIssue({ code: "custom", path: ["fault", "kind"], message: `${v.fault.kind} is not applied yet: ${info.pending ?? "pending"}` });
      return;
    }
    const on = v.trigger?.on.eventType;
    if (on !== undefined && !info.triggers.includes(on)) {
      const who = applierName(v.fault.kind, "gpu" in v.fault ? v.fault.gpu : 0).replace(/^gpu\d+/, "gpu<N>");
      ctx.addIssue({
        code: "custom",
        path: ["trigger", "on", "eventType"],
        message: `${v.fault.kind} is applied by ${who}, which can count only ${info.triggers.join(", ")}; not '${on}'`,
      });
    }
  });

/** A fault to inject (see the catalogue: `tyrsim faults`), acting at delivery or on its trigger. */
export const FaultInjected = defineEvent(
  "FaultInjected",
  FaultInjectedSchema,
  "Inject a fault of the catalogue (job hang, MMU fault, firmware crash, lost IRQ, …), now or on the Nth matching event.",
);

/** The applying actor took a fault and waits for its trigger or its condition (the next reset, the next enable, …). */
export const FaultArmed = defineEvent(
  "FaultArmed",
  z.object({ fault: faultId, kind, gpu, waitsFor: z.string().describe("what the fault waits for, in words") }),
  "An actor accepted an injected fault and armed it; it acts on its trigger or condition.",
);

/** The fault acted; the events after it from the same actor in the same reaction are its effects. */
export const FaultApplied = defineEvent(
  "FaultApplied",
  z.object({
    fault: faultId,
    kind,
    gpu,
    /** 1 for the first time the fault acted, 2 … for persistent faults (always-failing supply, dvfs-stuck). */
    occurrence: z.number().int().min(1),
    detail: z.string(),
  }),
  "An injected fault took effect now; the same reaction's later events are what it did.",
);

/** The applying actor cannot apply the fault in this world (a supply the model lacks, a job with no range, …); nothing changed. */
export const FaultRejected = defineEvent(
  "FaultRejected",
  z.object({ fault: faultId, kind, gpu, reason: z.string() }),
  "An injected fault could not be applied in this world; nothing changed.",
);

/** Every event type of the fault family. */
export const faultEvents = [FaultInjected, FaultArmed, FaultApplied, FaultRejected] as const;
