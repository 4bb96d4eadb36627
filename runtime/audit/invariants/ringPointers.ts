import { EventRegistry } from "../../../shared/events/registry.ts";
import { VmActivated, VmAsReleased } from "../../../services/driver/uapi/uapiEvents.ts";
import { CsIdle, CsRequestsAcked, CsgStateChanged, SyncObjectUpdated } from "../../../services/firmware/firmwareEvents.ts";
import { GpuSoftResetCompleted } from "../../../services/regs/regsEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/** Is `next` before `prev` for a sync object of `size` bits? 32-bit seqnos wrap (half the space ahead counts as later). */
export function seqnoWentBack(prev: bigint, next: bigint, size: 32 | 64): boolean {
  if (size === 64) return next < prev;
  const back = (prev - next) & 0xffff_ffffn;
  return back !== 0n && back < 0x8000_0000n;
}

/**
 * Ring and sync pointers never go backwards, the part of "ring pointers never overtake" today's
 * events show: a stream's CS_EXTRACT (reported by `CsIdle`) never decreases while the stream runs
 * (a CS START, a CSG state change or a reset starts it afresh), and a sync object's seqno
 * (`SyncObjectUpdated`, per GPU, address space and address) never decreases — fences derive from
 * it, so a seqno going back would un-signal them. The firmware events do not carry CS_INSERT, so
 * EXTRACT ≤ INSERT itself is pending (see the report's pending invariants).
 */
export const ringPointers: InvariantDef = {
  name: "ring-pointers-monotonic",
  statement: "CS_EXTRACT and sync-object seqnos never go backwards",
  reads: [CsIdle, SyncObjectUpdated, CsgStateChanged, CsRequestsAcked, GpuSoftResetCompleted, VmActivated, VmAsReleased],
  create(report) {
    const extract = new Map<string, { value: number; ref: EventRef }>();
    const seqno = new Map<string, { value: bigint; ref: EventRef }>();
    const csgAs = new Map<string, number>();
    const forget = <V>(m: Map<string, V>, prefix: string) => {
      for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k);
    };
    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(CsIdle, e)) {
          const key = `${gpu}/${e.payload.csg}/${e.payload.cs}`;
          const prev = extract.get(key);
          if (prev !== undefined && e.payload.extract < prev.value) {
            report({ message: `CSG${e.payload.csg} CS${e.payload.cs}: CS_EXTRACT went back from ${prev.value} to ${e.payload.extract}`, timeNs: e.timeNs, gpu, events: [prev.ref, refOf(e)] });
          }
          extract.set(key, { value: e.payload.extract, ref: refOf(e) });
        } else if (EventRegistry.is(SyncObjectUpdated, e)) {
          const as = csgAs.get(`${gpu}/${e.payload.csg}`) ?? "?";
          const key = `${gpu}/${as}/${e.payload.address}`;
          const next = BigInt(e.payload.seqno);
          const prev = seqno.get(key);
          if (prev !== undefined && seqnoWentBack(prev.value, next, e.payload.size)) {
            report({
              message: `sync object 0x${e.payload.address.toString(16)} (AS${as}): seqno went back from ${prev.value} to ${next} (${e.payload.operation})`,
              timeNs: e.timeNs, gpu, events: [prev.ref, refOf(e)],
            });
          }
          seqno.set(key, { value: next, ref: refOf(e) });
        } else if (EventRegistry.is(CsgStateChanged, e)) {
          csgAs.set(`${gpu}/${e.payload.csg}`, e.payload.as);
          forget(extract, `${gpu}/${e.payload.csg}/`);
        } else if (EventRegistry.is(CsRequestsAcked, e) && e.payload.requests.some((r) => r.startsWith("STATE"))) {
          extract.delete(`${gpu}/${e.payload.csg}/${e.payload.cs}`);
        } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
          forget(extract, `${gpu}/`);
        } else if (EventRegistry.is(VmActivated, e) || EventRegistry.is(VmAsReleased, e)) {
          // Another VM in this AS: its sync objects are other memory at maybe the same VAs.
          forget(seqno, `${gpu}/${e.payload.as}/`);
        }
      },
      finish() {},
    };
  },
};
