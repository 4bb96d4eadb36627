import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { JobEnd } from "./csEffects.ts";
import type { Firmware } from "./firmware.ts";
import type { CsSlot, CsgSlot, JobRecord } from "./firmwareState.ts";
import { CSG_INPUT, CS_INPUT } from "./interfaces.ts";
import { CS } from "./interfaceBits.ts";
import { decodeLenient } from "./interfaceIo.ts";

/**
 * CSG suspend buffers (panthor.md §3.5, §4.3): on CSG SUSPEND the firmware saves the group's
 * stream context to the suspend buffer the host programmed (`suspend_buf`), and RESUME reloads it
 * from there — on whatever slot the host resumes the group, which is how panthor rotates groups
 * through fewer CSG slots than it has groups.
 *
 * Simplified (README fidelity table): the context is kept in the actor, keyed by the suspend
 * buffer's MCU VA, not written as bytes; the streams' interpreter state, their CS_ACK, and the
 * jobs they still have on the shader cores move with it (a job that ends while its group is
 * suspended is replayed into the stream on RESUME). The slot is left empty (streams stopped),
 * ready for another group. The contexts outlive a cold boot, a disable and a GPU reset (the
 * buffers are host memory); jobs they had on the shader cores do not outlive a reset. On RESUME
 * the streams take the doorbell and priority the host programmed for the new slot.
 */

/** One stream's saved context: the mutable fields of its `CsSlot`. */
type SavedCs = Pick<CsSlot, "ack" | "started" | "state" | "epoch" | "priority" | "doorbell" | "ringInputVa" | "ringOutputVa" | "grantedChunks" | "oom" | "lastRun">;

/** A suspended group's context, as the firmware keeps it for its suspend buffer. */
export interface SavedCsg {
  readonly cs: readonly SavedCs[];
  /** Jobs of the group still on the shader cores, by `JobDispatched.job`. */
  readonly jobs: ReadonlyMap<string, JobRecord>;
  /** Ends of those jobs reported while the group was suspended, replayed on RESUME. */
  readonly ended: JobEnd[];
}

/** The `suspend_buf` the host programmed in the slot's CSG input block. */
function suspendBufOf(f: Firmware, slot: CsgSlot): number | undefined {
  const bytes = f.fw.readMcu(slot.blocks.input, CSG_INPUT.size);
  return bytes === undefined ? undefined : decodeLenient(CSG_INPUT, bytes).suspend_buf;
}

/** CSG SUSPEND acknowledged: save the slot's streams and jobs to its suspend buffer, leave the slot empty. */
export function saveToSuspendBuffer(f: Firmware, slot: CsgSlot): void {
  const key = suspendBufOf(f, slot);
  if (key === undefined || key === 0) return;
  const cs: SavedCs[] = slot.cs.map((c) => {
    f.executor.abandon(c);
    const { ack, started, state, epoch, priority, doorbell, ringInputVa, ringOutputVa, grantedChunks, oom, lastRun } = c;
    return { ack, started, state, epoch, priority, doorbell, ringInputVa, ringOutputVa, grantedChunks, oom, lastRun };
  });
  const jobs = new Map<string, JobRecord>();
  for (const [job, rec] of f.jobs) {
    if (rec.csg !== slot.index) continue;
    jobs.set(job, rec);
    f.jobs.delete(job);
  }
  f.suspended.set(key, { cs, jobs, ended: [] });
  for (const c of slot.cs) {
    Object.assign(c, { started: false, state: null, oom: null, deferred: [], parked: false, statusDirty: true, epoch: c.epoch + 1 });
    c.ack = (c.ack & ~0x7) >>> 0;
  }
  slot.jobsOutstanding = 0;
}

/** CSG RESUME acknowledged: reload the context saved for the slot's suspend buffer, if any; true when one was. */
export function restoreFromSuspendBuffer(f: Firmware, slot: CsgSlot): boolean {
  const key = suspendBufOf(f, slot);
  const saved = key === undefined ? undefined : f.suspended.get(key);
  if (key === undefined || saved === undefined) return false;
  f.suspended.delete(key);
  saved.cs.forEach((s, j) => {
    const c = slot.cs[j];
    if (c === undefined) return;
    Object.assign(c, s, { deferred: [], parked: false, statusDirty: true });
    // The host reprogrammed the stream for this slot (`cs_slot_prog_locked`): its doorbell is the
    // new slot's, and no CS event is pending against the CS_REQ it wrote (a reset zeroes it).
    const bytes = f.fw.readMcu(c.blocks.input, CS_INPUT.size);
    if (bytes === undefined) return;
    const input = decodeLenient(CS_INPUT, bytes);
    c.priority = input.config & 0xf;
    c.doorbell = (input.config >>> 8) & 0xff;
    c.ack = ((c.ack & ~CS.EVT_MASK) | (input.req & CS.EVT_MASK)) >>> 0;
  });
  for (const [job, rec] of saved.jobs) f.jobs.set(job, { ...rec, csg: slot.index });
  slot.jobsOutstanding = saved.jobs.size;
  if (saved.jobs.size > 0) sendChecked(slot.machine, { type: "JOBS", outstanding: true });
  for (const end of saved.ended) f.jobEnded(end);
  return true;
}

/** A CSG START: the suspend buffer now holds a fresh context, whatever was saved there before. */
export function discardSuspendBuffer(f: Firmware, slot: CsgSlot): void {
  const key = suspendBufOf(f, slot);
  if (key !== undefined) f.suspended.delete(key);
}

/** A job ended that belongs to a suspended group: keep its end for the RESUME; false if no saved context has it. */
export function suspendedJobEnded(f: Firmware, end: JobEnd): boolean {
  for (const saved of f.suspended.values()) {
    if (!saved.jobs.has(end.job)) continue;
    saved.ended.push(end);
    return true;
  }
  return false;
}
