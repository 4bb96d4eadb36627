/**
 * Programming a CSG slot for a group (panthor.md §3.5–3.6, §4.3 step 3): `cs_slot_prog_locked`
 * for each queue (ring base and size, user I/O page VAs, CS priority and doorbell, `ack_irq_mask`,
 * CS_REQ START with idle reporting and EXTRACT_EVENT), `csg_slot_prog_locked` for the group
 * (core masks, `endpoint_req` with max cores and the CSG priority, suspend buffers, `config` = the
 * VM's AS, CSG_REQ START or RESUME with an ENDPOINT_CONFIG toggle), and the other CSG requests
 * a tick makes (SUSPEND, TERMINATE, a new priority, STATUS_UPDATE). The caller rings the CSG
 * doorbells and waits for the acknowledges.
 */
import { CS, CSG, CSG_EP_REQ, csConfig } from "../../firmware/interfaceBits.ts";
import { CSG_INPUT, CS_INPUT } from "../../firmware/interfaces.ts";
import type { KTask } from "../ktask.ts";
import { csgIface, csgToggleReqs, csgUpdateReqs, csIface, csReqAck } from "../fw/fwIface.ts";
import type { FwDevice } from "../fw/fwTypes.ts";
import { updateReqs } from "../../firmware/reqAck.ts";
import type { PanthorGroup, PanthorQueue } from "./schedTypes.ts";

const popcount = (v: number): number => {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x &= x - 1) n++;
  return n;
};

/** `endpoint_req` of a group at CSG priority `prio`: max compute/fragment/tiler cores and the priority. */
export function endpointReq(g: Pick<PanthorGroup, "maxComputeCores" | "maxFragmentCores" | "maxTilerCores">, prio: number): number {
  return ((g.maxComputeCores & CSG_EP_REQ.COMPUTE_MASK)
    | ((g.maxFragmentCores & 0xff) << CSG_EP_REQ.FRAGMENT_SHIFT)
    | ((g.maxTilerCores & 0xf) << CSG_EP_REQ.TILER_SHIFT)
    | ((prio & 0xf) * 2 ** CSG_EP_REQ.PRIORITY_SHIFT)) >>> 0;
}

/** The core counts GROUP_CREATE may ask for at most: the popcount of each mask. */
export function coreCounts(mask: number): number {
  return popcount(mask);
}

/** `cs_slot_prog_locked(ptdev, csg_id, cs_id)`: program stream `queue.index` of slot `csg` for `queue`. */
export function* csSlotProg(fw: FwDevice, csg: number, queue: PanthorQueue): KTask<void> {
  const cs = csIface(fw, csg, queue.index);
  const bits = (CS.STATE_MASK | CS.IDLE_SYNC_WAIT | CS.IDLE_EMPTY | CS.EXTRACT_EVENT) >>> 0;
  const req = updateReqs(csReqAck(fw, csg, queue.index).req, (CS.STATE_START | CS.IDLE_SYNC_WAIT | CS.IDLE_EMPTY | CS.EXTRACT_EVENT) >>> 0, bits);
  yield* fw.shared.write(cs.input, CS_INPUT, {
    req,
    config: csConfig(queue.priority, csg + 1),
    ack_irq_mask: 0xffff_ffff,
    ringbuf_base: queue.ring.va,
    ringbuf_size: queue.ringSize,
    heap_start: 0,
    heap_end: 0,
    ringbuf_input: queue.iface.bo.va,
    ringbuf_output: queue.iface.bo.va + 4096,
  });
}

/**
 * `csg_slot_prog_locked(ptdev, csg_id, prio)`: program slot `csg` for group `g` on AS `as` and
 * request START (a group that never ran) or RESUME (a suspended one), toggling ENDPOINT_CONFIG.
 */
export function* csgSlotProg(fw: FwDevice, csg: number, g: PanthorGroup, as: number, prio: number): KTask<void> {
  const iface = csgIface(fw, csg);
  yield* fw.shared.write(iface.input, CSG_INPUT, {
    ack_irq_mask: 0xffff_ffff,
    allow_compute: g.computeCoreMask,
    allow_fragment: g.fragmentCoreMask,
    allow_other: g.tilerCoreMask,
    endpoint_req: endpointReq(g, prio),
    suspend_buf: g.suspendBuf.va,
    protm_suspend_buf: g.protmSuspendBuf.va,
    config: as,
  });
  const state = g.state === "suspended" ? CSG.STATE_RESUME : CSG.STATE_START;
  yield* csgUpdateReqs(fw, csg, state, CSG.STATE_MASK);
  yield* csgToggleReqs(fw, csg, CSG.ENDPOINT_CONFIG);
}

/** CSG_REQ.STATE = SUSPEND or TERMINATE (`tick_ctx_apply` for an evicted group). */
export function* csgRequestState(fw: FwDevice, csg: number, state: typeof CSG.STATE_SUSPEND | typeof CSG.STATE_TERMINATE): KTask<void> {
  yield* csgUpdateReqs(fw, csg, state, CSG.STATE_MASK);
}

/** A resident group's new CSG priority: `endpoint_req` rewritten and ENDPOINT_CONFIG toggled. */
export function* csgSetPriority(fw: FwDevice, csg: number, g: PanthorGroup, prio: number): KTask<void> {
  yield* fw.shared.write(csgIface(fw, csg).input, CSG_INPUT, { endpoint_req: endpointReq(g, prio) });
  yield* csgToggleReqs(fw, csg, CSG.ENDPOINT_CONFIG);
}

/** CSG_REQ STATUS_UPDATE toggled (`tick_ctx_init`: fresh idle and blocked status). */
export function* csgRequestStatus(fw: FwDevice, csg: number): KTask<void> {
  yield* csgToggleReqs(fw, csg, CSG.STATUS_UPDATE);
}
