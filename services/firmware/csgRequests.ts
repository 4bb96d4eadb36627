import { CS, CSG } from "./interfaceBits.ts";
import { acknowledge, requestsPending } from "./reqAck.ts";

/**
 * The firmware's reading of a CSG slot's and a CS slot's request words (panthor.md §3.5–3.6):
 * which state change and which toggles are pending, and the acknowledge that answers them.
 * Pure; the firmware actor applies the result.
 */

/** CSG_REQ.STATE values by name. */
export const CSG_STATE_NAMES = ["TERMINATE", "START", "SUSPEND", "RESUME"] as const;
/** A CSG state request. */
export type CsgStateRequest = (typeof CSG_STATE_NAMES)[number];

/** One scan of CSG_REQ against CSG_ACK. */
export interface CsgPlan {
  readonly ack: number;
  /** The requested state when the STATE field differs from CSG_ACK's (undefined values read as TERMINATE). */
  readonly state: CsgStateRequest | null;
  readonly endpointConfig: boolean;
  readonly statusUpdate: boolean;
  /** Names of everything acknowledged (`STATE_START`, `ENDPOINT_CONFIG`, `STATUS_UPDATE`). */
  readonly acked: readonly string[];
  /** Raise JOB_INT CSG_IF: an acknowledged bit is in the CSG's `ack_irq_mask`. */
  readonly irq: boolean;
}

/** Decide the acknowledgements for CSG_REQ `req` against CSG_ACK `ack`. */
export function planCsgAcks(req: number, ack: number, ackIrqMask: number): CsgPlan {
  const pending = requestsPending(req, ack, CSG.REQ_MASK);
  const stateBits = pending & CSG.STATE_MASK;
  const state = stateBits !== 0 ? (CSG_STATE_NAMES[req & CSG.STATE_MASK] ?? "TERMINATE") : null;
  const endpointConfig = (pending & CSG.ENDPOINT_CONFIG) !== 0;
  const statusUpdate = (pending & CSG.STATUS_UPDATE) !== 0;
  const acked = [
    ...(state !== null ? [`STATE_${state}`] : []),
    ...(endpointConfig ? ["ENDPOINT_CONFIG"] : []),
    ...(statusUpdate ? ["STATUS_UPDATE"] : []),
  ];
  return { ack: acknowledge(req, ack, CSG.REQ_MASK), state, endpointConfig, statusUpdate, acked, irq: (pending & ackIrqMask) !== 0 };
}

/** One scan of CS_REQ against CS_ACK. */
export interface CsPlan {
  readonly ack: number;
  /** START or STOP when the STATE field changed. */
  readonly state: "START" | "STOP" | null;
  readonly acked: readonly string[];
  readonly irq: boolean;
}

const CS_CONFIG_NAMES: readonly [number, string][] = [
  [CS.EXTRACT_EVENT, "EXTRACT_EVENT"], [CS.IDLE_SYNC_WAIT, "IDLE_SYNC_WAIT"], [CS.IDLE_PROTM_PENDING, "IDLE_PROTM_PENDING"],
  [CS.IDLE_EMPTY, "IDLE_EMPTY"], [CS.IDLE_RESOURCE_REQ, "IDLE_RESOURCE_REQ"],
];

/**
 * Decide the acknowledgements for CS_REQ `req` against CS_ACK `ack`: STATE (STOP 0 / START 1;
 * other values read as STOP) and the idle-report/extract config bits are copied into CS_ACK.
 */
export function planCsAcks(req: number, ack: number, ackIrqMask: number): CsPlan {
  const pending = requestsPending(req, ack, CS.REQ_MASK);
  const state = (pending & CS.STATE_MASK) !== 0 ? ((req & CS.STATE_MASK) === CS.STATE_START ? "START" : "STOP") : null;
  const acked = [...(state !== null ? [`STATE_${state}`] : []), ...CS_CONFIG_NAMES.filter(([bit]) => (pending & bit) !== 0).map(([, n]) => n)];
  return { ack: acknowledge(req, ack, CS.REQ_MASK), state, acked, irq: (pending & ackIrqMask) !== 0 };
}

/** Which firmware-raised CS events (FATAL, FAULT, TILER_OOM) the host has not acknowledged yet. */
export function csEventsPending(req: number, ack: number): { fault: boolean; fatal: boolean; tilerOom: boolean } {
  const p = requestsPending(req, ack, CS.EVT_MASK);
  return { fault: (p & CS.FAULT) !== 0, fatal: (p & CS.FATAL) !== 0, tilerOom: (p & CS.TILER_OOM) !== 0 };
}
