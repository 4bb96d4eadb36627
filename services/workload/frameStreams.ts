/**
 * The GPU side of a game-like frame as a Mesa-style driver would build it (cs-isa.md §5.4, PanVK's
 * split over two subqueues): a geometry stream (staging registers of §4.2, RUN_IDVS, FINISH_TILING)
 * for the vertex/tiler queue and a fragment stream (§4.3, RUN_FRAGMENT over the render target's
 * bounding box) for the fragment queue, plus the descriptors they point at. Pure data builders.
 *
 * Layout of the client's GPU VA space (one VM):
 *
 * | VA | BO | contents |
 * |---|---|---|
 * | `STREAMS_VA` | streams (4 KiB) | one geometry stream per swapchain slot at `slot × 256`; the fragment stream at `0x800` |
 * | `DESCRIPTORS_VA` | descriptors (4 KiB) | position/varying/fragment SPDs, TSD, tiler context (128 B), FBD |
 * | `TARGET_VA` | render target | width × height × 4 bytes (RGBA8) |
 *
 * Simplified: no tiler heap (TILER_HEAP_CREATE, HEAP_OPERATION, FINISH_FRAGMENT) and no
 * SET_SB_ENTRY iteration slots — the kernel's job wrapper waits for every scoreboard slot after the
 * CALL. tyrsim's cores take the job's cost from the staging registers (vertices × 32 cycles, pixels
 * × 4 cycles: `services/firmware/jobDispatch.ts`), so descriptor bytes are placeholders.
 */
import { encode } from "../firmware/cs/encode.ts";
import { wordsToBytes } from "../firmware/cs/encoding.ts";

/** GPU VA of the streams BO. */
export const STREAMS_VA = 0x10_0000;
/** GPU VA of the descriptors BO. */
export const DESCRIPTORS_VA = 0x20_0000;
/** GPU VA of the render target BO. */
export const TARGET_VA = 0x100_0000;
/** Bytes of the streams and descriptors BOs. */
export const SMALL_BO_BYTES = 4096;
/** Bytes between two slots' geometry streams. */
export const GEOMETRY_STRIDE = 0x100;
/** Offset of the fragment stream in the streams BO (past 8 geometry slots). */
export const FRAGMENT_OFFSET = 0x800;

/** Offsets of the descriptors in their BO (64-byte aligned, as Valhall descriptors are). */
export const DESCRIPTOR = { positionSpd: 0x000, varyingSpd: 0x040, fragmentSpd: 0x080, tsd: 0x0c0, tilerContext: 0x100, fbd: 0x200, end: 0x240 } as const;

/** Index of the `MOVE32 r33, vertices` word in a geometry stream (rewritten per frame). */
export const VERTEX_COUNT_WORD = 5;

/** Render target size. */
export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** The geometry stream: RUN_IDVS drawing `vertices` vertices, then FINISH_TILING. */
export function geometryStream(vertices: number): bigint[] {
  const d = (off: number) => DESCRIPTORS_VA + off;
  return [
    encode.move48(16, d(DESCRIPTOR.positionSpd)),
    encode.move48(18, d(DESCRIPTOR.varyingSpd)),
    encode.move48(20, d(DESCRIPTOR.fragmentSpd)),
    encode.move48(24, d(DESCRIPTOR.tsd)),
    encode.move48(40, d(DESCRIPTOR.tilerContext)),
    encode.move32(33, vertices),
    encode.move32(34, 1),
    encode.reqResource({ idvs: true, tiler: true }),
    // Mesa's fixed selects: fragment SRT from d4 (bit 38), the rest from the position stage's registers.
    encode.runIdvs({ mallocEnable: 1, fragmentSrtSelect: 1 }),
    encode.reqResource({}),
    encode.finishTiling(),
    encode.wait(0b1),
  ];
}

/** The `MOVE32 r33, vertices` word alone, as the CPU rewrites it for a new frame. */
export const vertexCountWord = (vertices: number): bigint => encode.move32(33, vertices);

/** The fragment stream: RUN_FRAGMENT over the whole render target (bounding box inclusive). */
export function fragmentStream(size: FrameSize): bigint[] {
  return [
    encode.move48(40, DESCRIPTORS_VA + DESCRIPTOR.fbd),
    encode.move32(42, 0),
    encode.move32(43, ((size.height - 1) << 16) | (size.width - 1)),
    encode.move48(44, 0),
    encode.move32(46, 0),
    encode.reqResource({ fragment: true }),
    encode.runFragment(),
    encode.reqResource({}),
    encode.wait(0b1),
  ];
}

/**
 * Bytes of a geometry stream, whatever its vertex count, and of the fragment stream, whatever the
 * target size (one instruction per word either way): GROUP_SUBMIT's `stream_size` for every frame,
 * computed once rather than by encoding both streams again per frame.
 */
export const GEOMETRY_STREAM_BYTES = geometryStream(1).length * 8;
export const FRAGMENT_STREAM_BYTES = fragmentStream({ width: 1, height: 1 }).length * 8;

/** Byte offset of swapchain slot `slot`'s geometry stream in the streams BO. */
export const geometryOffset = (slot: number): number => slot * GEOMETRY_STRIDE;

/** The initial bytes of the streams BO: `slots` geometry streams and the fragment stream. */
export function streamsImage(slots: number, vertices: number, size: FrameSize): Uint8Array {
  const out = new Uint8Array(FRAGMENT_OFFSET + fragmentStream(size).length * 8);
  for (let s = 0; s < slots; s++) out.set(wordsToBytes(geometryStream(vertices)), geometryOffset(s));
  out.set(wordsToBytes(fragmentStream(size)), FRAGMENT_OFFSET);
  return out;
}

/**
 * The descriptors BO's bytes: placeholders with the fields a reader would look for — each SPD's
 * first word names its stage, the FBD holds the render target's VA and size.
 */
export function descriptorsImage(size: FrameSize): Uint8Array {
  const out = new Uint8Array(DESCRIPTOR.end);
  const v = new DataView(out.buffer);
  [DESCRIPTOR.positionSpd, DESCRIPTOR.varyingSpd, DESCRIPTOR.fragmentSpd].forEach((off, i) => v.setUint32(off, 0x5350_4400 + i, true));
  v.setBigUint64(DESCRIPTOR.fbd, BigInt(TARGET_VA), true);
  v.setUint16(DESCRIPTOR.fbd + 8, size.width - 1, true);
  v.setUint16(DESCRIPTOR.fbd + 10, size.height - 1, true);
  return out;
}

/** Bytes of the render target BO (RGBA8), rounded up to whole 4 KiB pages. */
export const targetBytes = (size: FrameSize): number => Math.ceil((size.width * size.height * 4) / 4096) * 4096;
