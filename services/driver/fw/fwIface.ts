/**
 * The host side of the request/acknowledge protocol (panthor.md §3.3), as panthor_fw.h/.c
 * spell it: `panthor_fw_update_reqs` (config fields), `panthor_fw_toggle_reqs` (toggle
 * requests), `panthor_fw_glb_wait_acks` / `panthor_fw_csg_wait_acks` (wait up to a timeout for
 * the firmware's acknowledge; the job IRQ wakes the waiter), `panthor_fw_ring_csg_doorbells`
 * (toggle the CSGs' bits in GLB `doorbell_req`, then the global doorbell) — over the CPU mapping
 * of the shared section.
 *
 * Simplified: no busy-poll before sleeping (the wait re-checks on every event the driver gets).
 */
import { csfDoorbell } from "../../../shared/gpu/registers.ts";
import { CSG_INPUT, CSG_OUTPUT, CS_INPUT, CS_OUTPUT, GLB_INPUT, GLB_OUTPUT } from "../../firmware/interfaces.ts";
import { acknowledged, toggleReqs, updateReqs } from "../../firmware/reqAck.ts";
import type { DiscoveredCs, DiscoveredCsg, DiscoveredInterfaces } from "../../firmware/interfaceDiscovery.ts";
import { waitEvent, writel, type KTask } from "../ktask.ts";
import type { FwDevice } from "./fwTypes.ts";

const MS = 1_000_000;

/** The acknowledge timeout panthor passes for GLB, CSG and CS requests (100 ms). */
export const FW_ACK_TIMEOUT_NS = 100 * MS;

/** The interfaces of a booted firmware (throws if called before discovery: a driver bug). */
export function ifaces(fw: FwDevice): DiscoveredInterfaces {
  if (fw.ifaces === undefined) throw new Error("firmware interfaces used before panthor_fw_init_ifaces()");
  return fw.ifaces;
}

/** CSG slot `i`'s interface blocks. */
export function csgIface(fw: FwDevice, i: number): DiscoveredCsg {
  return ifaces(fw).csg[i]!;
}

/** CS `j` of CSG slot `i`. */
export function csIface(fw: FwDevice, i: number, j: number): DiscoveredCs {
  return csgIface(fw, i).cs[j]!;
}

/** GLB_REQ and GLB_ACK. */
export function glbReqAck(fw: FwDevice): { req: number; ack: number } {
  const g = ifaces(fw).glb;
  return { req: fw.shared.field(g.input, GLB_INPUT, "req"), ack: fw.shared.field(g.output, GLB_OUTPUT, "ack") };
}

/** CSG_REQ and CSG_ACK of slot `i`. */
export function csgReqAck(fw: FwDevice, i: number): { req: number; ack: number } {
  const c = csgIface(fw, i);
  return { req: fw.shared.field(c.input, CSG_INPUT, "req"), ack: fw.shared.field(c.output, CSG_OUTPUT, "ack") };
}

/** CS_REQ and CS_ACK of stream `j` of slot `i`. */
export function csReqAck(fw: FwDevice, i: number, j: number): { req: number; ack: number } {
  const c = csIface(fw, i, j);
  return { req: fw.shared.field(c.input, CS_INPUT, "req"), ack: fw.shared.field(c.output, CS_OUTPUT, "ack") };
}

/** `panthor_fw_update_reqs(glb_iface, req, value, mask)`. */
export function* glbUpdateReqs(fw: FwDevice, value: number, mask: number): KTask<void> {
  yield* fw.shared.write(ifaces(fw).glb.input, GLB_INPUT, { req: updateReqs(glbReqAck(fw).req, value, mask) });
}

/** `panthor_fw_toggle_reqs(glb_iface, req, ack, mask)`. */
export function* glbToggleReqs(fw: FwDevice, mask: number): KTask<void> {
  const { req, ack } = glbReqAck(fw);
  yield* fw.shared.write(ifaces(fw).glb.input, GLB_INPUT, { req: toggleReqs(req, ack, mask) });
}

/** `panthor_fw_update_reqs(csg_iface, req, value, mask)`. */
export function* csgUpdateReqs(fw: FwDevice, i: number, value: number, mask: number): KTask<void> {
  yield* fw.shared.write(csgIface(fw, i).input, CSG_INPUT, { req: updateReqs(csgReqAck(fw, i).req, value, mask) });
}

/** `panthor_fw_toggle_reqs(csg_iface, req, ack, mask)`. */
export function* csgToggleReqs(fw: FwDevice, i: number, mask: number): KTask<void> {
  const { req, ack } = csgReqAck(fw, i);
  yield* fw.shared.write(csgIface(fw, i).input, CSG_INPUT, { req: toggleReqs(req, ack, mask) });
}

/** `panthor_fw_update_reqs(cs_iface, req, value, mask)`. */
export function* csUpdateReqs(fw: FwDevice, i: number, j: number, value: number, mask: number): KTask<void> {
  yield* fw.shared.write(csIface(fw, i, j).input, CS_INPUT, { req: updateReqs(csReqAck(fw, i, j).req, value, mask) });
}

/** `gpu_write(ptdev, CSF_DOORBELL(CSF_GLB_DOORBELL_ID), 1)`. */
export function* ringGlbDoorbell(): KTask<void> {
  yield* writel(csfDoorbell(0), 1);
}

/** `panthor_fw_ring_csg_doorbells(ptdev, mask)`: toggle the CSGs' bits in GLB `doorbell_req`, ring doorbell 0. */
export function* ringCsgDoorbells(fw: FwDevice, mask: number): KTask<void> {
  const g = ifaces(fw).glb;
  const req = fw.shared.field(g.input, GLB_INPUT, "doorbell_req");
  const ack = fw.shared.field(g.output, GLB_OUTPUT, "doorbell_ack");
  yield* fw.shared.write(g.input, GLB_INPUT, { doorbell_req: toggleReqs(req, ack, mask) });
  yield* ringGlbDoorbell();
}

/** `panthor_fw_glb_wait_acks(ptdev, mask, &acked, timeout)`: true when every bit of `mask` was acknowledged in time. */
export function* waitGlbAcks(fw: FwDevice, mask: number, timeoutNs = FW_ACK_TIMEOUT_NS): KTask<boolean> {
  const done = () => {
    const { req, ack } = glbReqAck(fw);
    return acknowledged(req, ack, mask) ? true : undefined;
  };
  return (yield* waitEvent(done, timeoutNs)) === true;
}

/** `panthor_fw_csg_wait_acks(ptdev, csg_id, mask, &acked, timeout)`. */
export function* waitCsgAcks(fw: FwDevice, i: number, mask: number, timeoutNs = FW_ACK_TIMEOUT_NS): KTask<boolean> {
  const done = () => {
    const { req, ack } = csgReqAck(fw, i);
    return acknowledged(req, ack, mask) ? true : undefined;
  };
  return (yield* waitEvent(done, timeoutNs)) === true;
}
