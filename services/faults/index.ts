/**
 * Public surface of the fault catalogue: the fault kinds (one zod schema each), the catalogue
 * table (who applies a kind, its triggers, what shows it), the `FaultInjected` family of events,
 * the pure trigger matcher, and the per-actor bookkeeping the applying actors use.
 *
 * Design: one input type, `FaultInjected { fault: {kind, …}, trigger?: {on: {eventType, count,
 * match?}}, label? }`, published on `tyrsim.<run>.fault.inject`; each kind is applied by one
 * hardware actor of the GPU it names (`gpu<N>.shader`, `.fw`, `.regs`, `.pwr`, `.mem`), which
 * counts its trigger among the events it already receives and answers with `FaultArmed`,
 * `FaultApplied` (just before the effects, in the same reaction) or `FaultRejected`.
 */
export * from "./faultKinds.ts";
export * from "./faultCatalogue.ts";
export * from "./faultEvents.ts";
export * from "./trigger.ts";
export * from "./faultBook.ts";
