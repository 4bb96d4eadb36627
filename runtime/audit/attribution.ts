import type { FaultKind } from "../../services/faults/faultKinds.ts";
import type { Causality } from "./causality.ts";
import type { EventRef } from "./eventRef.ts";
import type { FaultLedger, FaultRecord } from "./faultLedger.ts";
import type { FailureKind } from "./symptoms.ts";

/**
 * The injected fault that most likely caused a symptom, how sure the report is, and the chain of
 * events from the fault to the symptom:
 * - `causal`: the symptom descends from the fault through `cause` ids (or the fault's own
 *   reaction), read back from the log;
 * - `correlated`: no chain (the symptom is an absence — a poll that timed out, an interrupt that
 *   never came), but the latest fault of a kind that produces this symptom acted on the same GPU
 *   before it;
 * - `temporal`: only the latest fault that acted on the same GPU before it.
 */
export interface Attribution {
  readonly fault: string;
  readonly kind: FaultKind;
  readonly label?: string;
  readonly confidence: "causal" | "correlated" | "temporal";
  /** Fault input first, symptom last; long chains keep their ends (`elided` events left out between). */
  readonly chain: readonly EventRef[];
  readonly elided: number;
}

/** The fault kinds that produce each symptom, for `correlated` attribution. */
export const SYMPTOM_AFFINITY: Readonly<Record<FailureKind | `invariant:${string}`, readonly FaultKind[]>> = {
  "job-faulted": ["shader-fault", "mmu-fault", "supply-failure", "reset-stuck"],
  "job-hung": ["job-hang"],
  "cs-fault": ["shader-fault", "mmu-fault", "job-hang"],
  "mmu-fault": ["mmu-fault"],
  "mmu-fault-unhandled": ["irq-lost"],
  "spurious-mmu-interrupt": ["irq-spurious"],
  "firmware-crashed": ["firmware-crash"],
  "firmware-boot-failed": ["mmu-fault", "memory-pressure"],
  "firmware-unresponsive": ["firmware-ping-ignored"],
  "probe-failed": ["supply-failure", "reset-stuck", "irq-lost"],
  "supply-failed": ["supply-failure"],
  "dvfs-refused": ["dvfs-stuck"],
  "memory-pressure": ["memory-pressure"],
  "fence-deadlock": ["memory-pressure"],
  "invariant:no-alloc-in-fence-signalling": ["memory-pressure"],
  "runtime-error": [],
  "register-read-unanswered": ["message-loss"],
  "job-timed-out": ["job-hang"],
  "firmware-watchdog": ["firmware-ping-ignored", "firmware-crash"],
  "reset-failed": ["reset-stuck"],
  // A driver bug, not a fault: no injected kind explains these.
  "lockdep-report": [],
  "spinlock-deadlock": [],
  "hard-lockup": [],
  "invariant:irqs-serviced": ["irq-spurious", "irq-lost"],
  "invariant:resets-resolve": ["reset-stuck"],
  "invariant:jobs-on-powered-cores": ["supply-failure"],
};

const KEEP_HEAD = 4;
const KEEP_TAIL = 8;

function shorten(chain: readonly EventRef[]): { chain: EventRef[]; elided: number } {
  if (chain.length <= KEEP_HEAD + KEEP_TAIL) return { chain: [...chain], elided: 0 };
  return { chain: [...chain.slice(0, KEEP_HEAD), ...chain.slice(-KEEP_TAIL)], elided: chain.length - KEEP_HEAD - KEEP_TAIL };
}

function of(r: FaultRecord, confidence: Attribution["confidence"], chain: readonly EventRef[]): Attribution {
  return { fault: r.id, kind: r.kind, ...(r.label !== undefined ? { label: r.label } : {}), confidence, ...shorten(chain) };
}

/**
 * Attribute the symptom shown by event `symptom` on GPU `gpu` (of kind `kind`, a failure kind or
 * `invariant:<name>`) to an injected fault, or undefined when no fault acted before it.
 */
export function attribute(symptom: EventRef, gpu: number, kind: keyof typeof SYMPTOM_AFFINITY | string, causality: Causality, ledger: FaultLedger): Attribution | undefined {
  const root = causality.faultOf(symptom.id);
  const direct = root === undefined ? undefined : ledger.faults.get(root);
  const affine = SYMPTOM_AFFINITY[kind as keyof typeof SYMPTOM_AFFINITY] ?? [];
  const before = ledger.activeBefore(gpu, symptom.timeNs);
  const near = before.find((r) => affine.includes(r.kind));
  // A chain wins unless it leads to a fault that cannot produce this symptom while one that can
  // acted before it: an MMU fault nobody handled descends from the bad access, but the lost
  // interrupt is why it went unhandled.
  if (direct !== undefined && (affine.length === 0 || affine.includes(direct.kind) || near === undefined)) {
    return of(direct, "causal", causality.chain(symptom.id));
  }
  const pick = near ?? before[0];
  if (pick === undefined) return undefined;
  const acted = pick.applied[0]?.ref ?? pick.armed?.ref;
  return of(pick, near !== undefined ? "correlated" : "temporal", [pick.input, ...(acted !== undefined ? [acted] : []), symptom]);
}
