import { encodeStruct, placedFields, type FieldSpec, type FieldType, type StructLayout, type StructOf } from "../../shared/gpu/structLayout.ts";
import type { CsOutputStatus } from "./cs/status.ts";
import { CSG_OUTPUT, CS_OUTPUT, GLB_OUTPUT, RINGBUF_OUTPUT } from "./interfaces.ts";

/**
 * Byte-level reading and writing of the interface blocks by the firmware: the host's input
 * blocks are decoded leniently (the host may write any bits; a 64-bit field keeps its low 53
 * bits, enough for every mask and 48-bit VA it carries, where `decodeStruct` would throw), and
 * the firmware-owned output blocks are encoded whole from the firmware's own copy, so one
 * `MemoryWritten` carries one block update.
 */

/** Decode `bytes` as `layout` without ever throwing: short input reads as zeros, u64 keeps 53 bits. */
export function decodeLenient<L extends readonly FieldSpec[]>(layout: StructLayout<L>, bytes: Uint8Array): StructOf<L> {
  // Read the caller's bytes in place when they cover the struct (the usual case); pad a short input with zeros.
  let src = bytes;
  if (bytes.length < layout.size) {
    src = new Uint8Array(layout.size);
    src.set(bytes);
  }
  const view = new DataView(src.buffer, src.byteOffset, layout.size);
  const out: Record<string, number | number[]> = {};
  for (const f of placedFields(layout)) {
    if (f.count === undefined) out[f.name] = readLenient(view, f.at, f.type);
    else {
      const list = new Array<number>(f.count);
      for (let i = 0; i < f.count; i++) list[i] = readLenient(view, f.at + i * f.size, f.type);
      out[f.name] = list;
    }
  }
  return out as StructOf<L>;
}

function readLenient(view: DataView, at: number, type: FieldType): number {
  if (type === "u32") return view.getUint32(at, true);
  if (type === "u64") return view.getUint32(at, true) + (view.getUint32(at + 4, true) & 0x1f_ffff) * 2 ** 32;
  if (type === "u8") return view.getUint8(at);
  return view.getUint16(at, true);
}

/** The firmware's copy of a GLB output block. */
export interface GlbOutputWords {
  ack: number;
  doorbellAck: number;
  haltStatus: number;
}

/** GLB output block bytes. */
export function encodeGlbOutput(o: GlbOutputWords): Uint8Array {
  return new Uint8Array(encodeStruct(GLB_OUTPUT, {
    ack: o.ack, reserved1: 0, doorbell_ack: o.doorbellAck, reserved2: 0, halt_status: o.haltStatus, perfcnt_status: 0, perfcnt_insert: 0,
  }));
}

/** The firmware's copy of a CSG output block. */
export interface CsgOutputWords {
  ack: number;
  doorbellAck: number;
  csIrqReq: number;
  statusState: number;
  /** Endpoints in use / requested, reported as the CSG's endpoint_req (simplified). */
  endpointReq: number;
}

/** CSG output block bytes. */
export function encodeCsgOutput(o: CsgOutputWords): Uint8Array {
  return new Uint8Array(encodeStruct(CSG_OUTPUT, {
    ack: o.ack, reserved1: 0, doorbell_ack: o.doorbellAck, cs_irq_req: o.csIrqReq, status_endpoint_current: o.endpointReq,
    status_endpoint_req: o.endpointReq, status_state: o.statusState, resource_dep: 0,
  }));
}

/** The CS output block's reserved words: read-only to encodeStruct, so one shared array each. */
const RESERVED1: readonly number[] = Object.freeze(new Array<number>(15).fill(0));
const RESERVED2: readonly number[] = Object.freeze(new Array<number>(6).fill(0));
const RESERVED3: readonly number[] = Object.freeze(new Array<number>(10).fill(0));

/** CS output block bytes: CS_ACK and the status words of `csOutputStatus()`. */
export function encodeCsOutput(ack: number, s: CsOutputStatus): Uint8Array {
  return new Uint8Array(encodeStruct(CS_OUTPUT, {
    ack, reserved1: RESERVED1, status_cmd_ptr: s.status_cmd_ptr, status_wait: s.status_wait, status_req_resource: s.status_req_resource,
    status_wait_sync_ptr: s.status_wait_sync_ptr, status_wait_sync_value: s.status_wait_sync_value, status_scoreboards: s.status_scoreboards,
    status_blocked_reason: s.status_blocked_reason, status_wait_sync_value_hi: s.status_wait_sync_value_hi, reserved2: RESERVED2,
    fault: s.fault, fatal: s.fatal, fault_info: s.fault_info, fatal_info: s.fatal_info, reserved3: RESERVED3,
    heap_vt_start: s.heap_vt_start, heap_vt_end: s.heap_vt_end, reserved4: 0, heap_frag_end: s.heap_frag_end, heap_address: s.heap_address,
  }));
}

/** The queue's user output page: CS_EXTRACT and `active`. */
export function encodeRingOutput(extract: number, active: boolean): Uint8Array {
  return new Uint8Array(encodeStruct(RINGBUF_OUTPUT, { extract, active: active ? 1 : 0 })).subarray(0, 12);
}
