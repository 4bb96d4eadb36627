import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyOps } from "./applyOps.ts";
import { createGpuVm, userVas, vasInRange, type GpuVa, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp, OpMap } from "./ops.ts";
import { smMap, smUnmap } from "./splitMerge.ts";

const SPACE = 32;
type Cell = { obj: number | null; off: number } | undefined;
type Cmd =
  | { kind: "map"; addr: number; range: number; obj: number | null; offset: number; flags: number }
  | { kind: "unmap"; addr: number; range: number };

const span = fc.integer({ min: 0, max: SPACE - 1 }).chain((addr) => fc.record({ addr: fc.constant(addr), range: fc.integer({ min: 1, max: SPACE - addr }) }));
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ s: span, obj: fc.constantFrom(1, 2, 3, null), offset: fc.integer({ min: 0, max: 8 }), flags: fc.integer({ min: 0, max: 7 }) })
    .map(({ s, obj, offset, flags }) => ({ kind: "map" as const, ...s, obj, offset, flags })),
  span.map((s) => ({ kind: "unmap" as const, ...s })),
);

/** The old VA a remap piece came from must agree with it wherever they overlap. */
function pieceAgrees(piece: OpMap, orig: GpuVa): boolean {
  return piece.obj === orig.obj && piece.flags === orig.flags && piece.offset === orig.offset + (piece.addr - orig.addr);
}

function checkOps(vm: GpuVm, c: Cmd, ops: GpuVaOp[]): void {
  const reqEnd = c.addr + c.range;
  const body = c.kind === "map" ? ops.slice(0, -1) : ops;
  if (c.kind === "map") expect(ops.at(-1)).toEqual({ type: "map", map: { addr: c.addr, range: c.range, obj: c.obj, offset: c.offset, flags: c.flags } });
  expect(body.map((op) => (op.type === "remap" ? op.unmap.va : op.type === "unmap" ? op.va : undefined))).toEqual(vasInRange(vm, c.addr, reqEnd));
  expect(body.filter((op) => op.type === "remap").length).toBeLessThanOrEqual(2);
  for (const op of body) {
    const orig = op.type === "remap" ? op.unmap.va : op.type === "unmap" ? op.va : undefined;
    const keep = op.type === "remap" ? op.unmap.keep : op.type === "unmap" ? op.keep : undefined;
    if (orig === undefined) throw new Error(`unexpected ${op.type} before the final op`);
    const contiguous = c.kind === "map" && orig.obj !== null && orig.obj === c.obj && orig.offset + (c.addr - orig.addr) === c.offset;
    expect(keep).toBe(contiguous);
    if (op.type !== "remap") continue;
    expect(op.prev !== undefined || op.next !== undefined).toBe(true);
    if (op.prev) {
      expect([op.prev.addr, op.prev.addr + op.prev.range]).toEqual([orig.addr, c.addr]);
      expect(pieceAgrees(op.prev, orig)).toBe(true);
    }
    if (op.next) {
      expect([op.next.addr, op.next.addr + op.next.range]).toEqual([reqEnd, orig.addr + orig.range]);
      expect(pieceAgrees(op.next, orig)).toBe(true);
    }
  }
}

function checkTree(vm: GpuVm, model: Cell[]): void {
  const vas = userVas(vm);
  for (let i = 1; i < vas.length; i++) expect(vas[i - 1]!.addr + vas[i - 1]!.range).toBeLessThanOrEqual(vas[i]!.addr);
  const seen: Cell[] = Array.from({ length: SPACE }, () => undefined);
  for (const v of vas) for (let p = v.addr; p < v.addr + v.range; p++) seen[p] = { obj: v.obj, off: v.offset + (p - v.addr) };
  expect(seen).toEqual(model);
  for (const [obj, bo] of vm.vmBos) {
    const byId = (a: number, b: number) => a - b;
    expect([...bo.vas].sort(byId)).toEqual(vas.filter((v) => v.obj === obj).map((v) => v.id).sort(byId));
    expect(bo.refcount).toBe(bo.vas.length);
  }
  expect([...vm.vmBos.keys()].sort()).toEqual([...new Set(vas.flatMap((v) => (v.obj === null ? [] : [v.obj])))].sort());
}

describe("sm_map / sm_unmap against a page-array model (property, seed 42)", () => {
  it("never leaves overlapping VAs, covers exactly what the model maps, and every remap piece matches the VA it came from", () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 25 }), (cmds) => {
        let vm = createGpuVm({ mmStart: 0, mmRange: SPACE });
        const model: Cell[] = Array.from({ length: SPACE }, () => undefined);
        for (const c of cmds) {
          const r = c.kind === "map" ? smMap(vm, c) : smUnmap(vm, c.addr, c.range);
          if (!r.ok) throw new Error(`valid request refused: ${r.errno}`);
          checkOps(vm, c, r.ops);
          vm = applyOps(vm, r.ops);
          for (let p = c.addr; p < c.addr + c.range; p++) model[p] = c.kind === "map" ? { obj: c.obj, off: c.offset + (p - c.addr) } : undefined;
          checkTree(vm, model);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
