import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { FaultBook, type TakenFault } from "../faults/faultBook.ts";
import type { FaultOf } from "../faults/faultKinds.ts";
import type { JobSpec } from "./jobMachine.ts";

/** A GPU VA no scenario maps (48-bit VA space): where an injected translation fault reads by default. */
export const UNMAPPED_FAULT_VA = 0xdead_0000_0000;

/** What the shader cores' fault hooks act on. */
export interface ShaderFaultDeps {
  /** Is the job dispatched and not yet ended? */
  readonly isLive: (job: string) => boolean;
  /** Hang or fault a live job now (the job machine's INJECT). */
  readonly inject: (job: string, effect: "hang" | "fault") => void;
}

/** How a dispatched job is changed by the faults that take it. */
export interface DispatchFaults {
  readonly spec: JobSpec;
  /** A shader core faults halfway through the job's run. */
  readonly faultHalfway: boolean;
}

/** The shader cores' injected faults (see {@link createShaderFaults}). */
export interface ShaderFaults {
  /** Take a `FaultInjected` and fire the triggers `e` completes; call before handling `e`. */
  offer(e: Envelope): void;
  /** The job of the `JobDispatched` being handled, changed by every fault that takes it (each reported, before the job's own events). */
  atDispatch(spec: JobSpec): DispatchFaults;
  /** A legacy `JobFaultInjected` (event `id`) acts on a live job: report it. */
  legacyApplied(id: string, job: string, effect: "hang" | "fault"): void;
  snapshot(): unknown;
}

/**
 * The faults the shader cores apply (`gpu<N>.shader`): `job-hang`, `shader-fault` and
 * `mmu-fault`. Each takes one job: a running job named by `job` at once, otherwise the next
 * dispatched job (the named one if `job` is given), or — with a trigger — the `JobDispatched`
 * that fires it. A hang makes the job never complete; a shader-core fault ends it halfway through
 * its run (`JobFaulted` reason `injected`); an MMU fault puts a bad range first in its
 * translation, so the real walk faults: a read of an unmapped page, or a write to a page its VM
 * maps read-only.
 */
export function createShaderFaults(ctx: ActorContext, gpu: number, deps: ShaderFaultDeps): ShaderFaults {
  const book = new FaultBook(ctx, gpu, "shader");
  /** Untriggered faults waiting for the next (or the named) job's dispatch. */
  const nextDispatch: TakenFault[] = [];
  /** Faults whose trigger the event being handled fired. */
  let fired: TakenFault[] = [];

  const take = (f: TakenFault) => {
    const { fault } = f;
    if ((fault.kind === "job-hang" || fault.kind === "shader-fault") && fault.job !== undefined && deps.isLive(fault.job)) {
      book.applied(f.id, fault.kind, `job ${fault.job} ${fault.kind === "job-hang" ? "hangs" : "faults"} now`);
      return deps.inject(fault.job, fault.kind === "job-hang" ? "hang" : "fault");
    }
    nextDispatch.push(f);
    const job = "job" in fault && fault.job !== undefined ? ` of job ${fault.job}` : "";
    book.armed(f, `the next JobDispatched${job}`);
  };

  return {
    offer(e) {
      const now = book.take(e);
      if (now !== undefined) take(now);
      fired = book.fired(e);
    },
    atDispatch(spec) {
      const faults = fired;
      fired = [];
      for (let i = 0; i < nextDispatch.length; ) {
        const f = nextDispatch[i]!;
        const job = "job" in f.fault ? f.fault.job : undefined;
        if (job === undefined || job === spec.job) faults.push(...nextDispatch.splice(i, 1));
        else i++;
      }
      let out: DispatchFaults = { spec, faultHalfway: false };
      for (const f of faults) out = applyAtDispatch(book, f, out);
      return out;
    },
    legacyApplied(id, job, effect) {
      book.applied(id, effect === "hang" ? "job-hang" : "shader-fault", `job ${job} ${effect === "hang" ? "hangs" : "faults"} now`);
    },
    snapshot: () => ({ waiting: book.snapshot(), nextDispatch: nextDispatch.map((f) => f.id) }),
  };
}

/** One fault taking a job at its dispatch. */
function applyAtDispatch(book: FaultBook, f: TakenFault, d: DispatchFaults): DispatchFaults {
  const { fault } = f;
  const job = d.spec.job;
  if (fault.kind === "job-hang") {
    book.applied(f.id, fault.kind, `job ${job} will never complete`);
    return { ...d, spec: { ...d.spec, hang: true } };
  }
  if (fault.kind === "shader-fault") {
    book.applied(f.id, fault.kind, `a shader core faults halfway through job ${job}`);
    return { ...d, faultHalfway: true };
  }
  if (fault.kind !== "mmu-fault") return d;
  const range = badRange(fault, d.spec);
  if (range === undefined) {
    book.rejected(f, `job ${job} has no range to ${fault.access ?? "write"}; give the fault a va`);
    return d;
  }
  book.applied(f.id, fault.kind, `job ${job} first ${range.access}s 0x${range.va.toString(16)} (${fault.fault} fault expected)`);
  return { ...d, spec: { ...d.spec, ranges: [range, ...d.spec.ranges] } };
}

/** The range an MMU fault injection puts first in the job's translation. */
function badRange(fault: FaultOf<"mmu-fault">, spec: JobSpec): JobSpec["ranges"][number] | undefined {
  if (fault.fault === "translation") return { va: fault.va ?? UNMAPPED_FAULT_VA, size: PAGE_SIZE, access: fault.access ?? "read" };
  const va = fault.va ?? spec.ranges[0]?.va;
  return va === undefined ? undefined : { va, size: PAGE_SIZE, access: fault.access ?? "write" };
}
