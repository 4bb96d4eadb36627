/**
 * `struct drm_panthor_sync_op` (panthor.md §1.6), shared by VM_BIND and GROUP_SUBMIT: its schema
 * and size, `panthor_check_sync_op`, and the flag tests the submit contexts use.
 */
import { z } from "zod";
import { U32, U64 } from "./userArgs.ts";

/** `enum drm_panthor_sync_op_flags`. */
export const DRM_PANTHOR_SYNC_OP = { HANDLE_TYPE_MASK: 0xff, HANDLE_TYPE_SYNCOBJ: 0, HANDLE_TYPE_TIMELINE_SYNCOBJ: 1, SIGNAL: 0x8000_0000 } as const;

/** `struct drm_panthor_sync_op` as JSON. */
export const SyncOpSchema = z.object({ flags: U32, handle: U32, timeline_value: U64 });
/** A parsed sync op. */
export type SyncOp = z.infer<typeof SyncOpSchema>;
/** `struct drm_panthor_sync_op`: 16 bytes, all mandatory. */
export const SYNC_OP_SIZE = { size: 16, minSize: 16 } as const;

/** `panthor_check_sync_op`: known flag bits, a known handle type, no point on a binary syncobj. */
export function syncOpValid(s: SyncOp): boolean {
  const { HANDLE_TYPE_MASK, SIGNAL, HANDLE_TYPE_SYNCOBJ, HANDLE_TYPE_TIMELINE_SYNCOBJ } = DRM_PANTHOR_SYNC_OP;
  if ((s.flags & ~(HANDLE_TYPE_MASK | SIGNAL)) !== 0) return false;
  const type = s.flags & HANDLE_TYPE_MASK;
  if (type !== HANDLE_TYPE_SYNCOBJ && type !== HANDLE_TYPE_TIMELINE_SYNCOBJ) return false;
  return !(type === HANDLE_TYPE_SYNCOBJ && s.timeline_value !== 0n);
}

/** A signal op (else a wait). */
export const isSignalOp = (s: SyncOp): boolean => (s.flags & DRM_PANTHOR_SYNC_OP.SIGNAL) !== 0;

/** On a timeline syncobj (else binary). */
export const isTimeline = (s: SyncOp): boolean => (s.flags & DRM_PANTHOR_SYNC_OP.HANDLE_TYPE_MASK) === DRM_PANTHOR_SYNC_OP.HANDLE_TYPE_TIMELINE_SYNCOBJ;
