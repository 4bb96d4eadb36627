/**
 * The requests of one frame, as a Vulkan driver on Panthor issues them (cs-isa.md §6.1): the CPU
 * store of the frame's vertex count into its slot's geometry stream, one GROUP_SUBMIT with the
 * geometry job on queue 0 (signalling point `frame` of the geometry timeline) and the fragment job
 * on queue 1 (waiting on that point, signalling point `frame` of the frame timeline), and the
 * present-side SYNCOBJ_TIMELINE_WAIT on the frame point with an absolute deadline. Pure.
 */
import { wordsToBytes } from "../firmware/cs/encoding.ts";
import { FRAGMENT_OFFSET, FRAGMENT_STREAM_BYTES, GEOMETRY_STREAM_BYTES, STREAMS_VA, VERTEX_COUNT_WORD, geometryOffset, vertexCountWord } from "./frameStreams.ts";
import type { SetupResults, WorkloadRequest } from "./setupPlan.ts";

/** `drm_panthor_sync_op` flags: wait on, or signal, a timeline syncobj point (a u32: no bitwise OR, which would go negative). */
const TIMELINE_WAIT = 1;
const TIMELINE_SIGNAL = 0x8000_0000 + 1;

/** The CPU store of `vertices` into slot `slot`'s geometry stream (8 bytes, one instruction). */
export function vertexWrite(s: SetupResults, slot: number, vertices: number): WorkloadRequest {
  return { kind: "write", mmapOffset: s.streamsMmap, offset: geometryOffset(slot) + VERTEX_COUNT_WORD * 8, bytes: wordsToBytes([vertexCountWord(vertices)]) };
}

/** GROUP_SUBMIT of frame `frame` (1-based) from swapchain slot `slot`: geometry then fragment, linked by the geometry timeline. */
export function frameSubmit(s: SetupResults, frame: number, slot: number): WorkloadRequest {
  const job = (queue: number, addr: number, bytes: number, syncs: readonly object[]) => ({
    queue_index: queue, stream_size: bytes, stream_addr: addr, latest_flush: 0, pad: 0, syncs: { stride: 16, count: syncs.length, array: syncs },
  });
  return {
    kind: "ioctl",
    ioctl: "GROUP_SUBMIT",
    args: {
      group_handle: s.group,
      pad: 0,
      queue_submits: {
        stride: 40,
        count: 2,
        array: [
          job(0, STREAMS_VA + geometryOffset(slot), GEOMETRY_STREAM_BYTES, [{ flags: TIMELINE_SIGNAL, handle: s.geometrySync, timeline_value: frame }]),
          job(1, STREAMS_VA + FRAGMENT_OFFSET, FRAGMENT_STREAM_BYTES, [
            { flags: TIMELINE_WAIT, handle: s.geometrySync, timeline_value: frame },
            { flags: TIMELINE_SIGNAL, handle: s.frameSync, timeline_value: frame },
          ]),
        ],
      },
    },
  };
}

/** SYNCOBJ_TIMELINE_WAIT for frame `frame`'s point, returning -ETIME at the absolute virtual time `deadlineNs`. */
export function frameWait(s: SetupResults, frame: number, deadlineNs: number): WorkloadRequest {
  return {
    kind: "ioctl",
    ioctl: "SYNCOBJ_TIMELINE_WAIT",
    args: { handles: [s.frameSync], points: [frame], count_handles: 1, flags: 0, timeout_nsec: deadlineNs },
  };
}
