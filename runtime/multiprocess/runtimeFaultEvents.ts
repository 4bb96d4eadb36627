/**
 * Facts the runtime itself records about the faults it applies to its own machinery rather than
 * to an actor: messages it dropped or postponed (`message-loss`, `message-delay`) and a service
 * process it restarted (`service-died`). They sit on the log beside the fault family's
 * `FaultApplied`, so an audit sees the transport fault and replay reproduces it.
 */
import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

/** Subject paths (inside a run) of the runtime's fault records. */
export const RUNTIME_FAULT_PATHS = {
  dropped: "sys.net.dropped",
  delayed: "sys.net.delayed",
  restarted: "sys.service.restarted",
} as const;

const dropped = {
  fault: z.string().min(1).describe("id of the FaultInjected that asked for it"),
  id: z.string().min(1).describe("id of the event concerned (its publisher and counter)"),
  subject: z.string(),
  type: z.string(),
};

/** The runtime's routing dropped an actor's event instead of delivering it (`message-loss`). */
export const MessageDropped = defineEvent(
  "MessageDropped",
  z.object(dropped),
  "The runtime dropped an event on its way to its subscribers (injected message loss); it is never delivered.",
);

/** The runtime's routing postponed an actor's event by a virtual delay (`message-delay`). */
export const MessageDelayed = defineEvent(
  "MessageDelayed",
  z.object({ ...dropped, delayNs: z.number().int().positive(), deliverAtNs: z.number().int().nonnegative() }),
  "The runtime postponed an event on its way to its subscribers (injected message delay); it is delivered at deliverAtNs.",
);

/** A service process that died was restarted and rebuilt its actors from the run's log. */
export const ServiceRestarted = defineEvent(
  "ServiceRestarted",
  z.object({
    service: z.string().min(1),
    fault: z.string().nullable().describe("the service-died fault that killed it, or null"),
    rebuiltFromEvents: z.number().int().nonnegative().describe("log events the new process replayed to rebuild its actors"),
  }),
  "A killed service process re-joined the run with its actors rebuilt from the log; virtual time waited for it.",
);

/** Every event type the runtime's fault handling records. */
export const runtimeFaultEvents = [MessageDropped, MessageDelayed, ServiceRestarted] as const;
