import { describe, expect, it } from "vitest";
import { FenceRegistry, isSignaled, signal } from "../../fence/index.ts";
import { SyncobjStore } from "./syncobj.ts";

describe("syncobj store (drm_syncobj.c)", () => {
  it("keeps handles per file, lowest free first, and drops the fence with the last reference", () => {
    const s = new SyncobjStore(new FenceRegistry());
    expect([s.create(1, true, 0), s.create(1, false, 0), s.create(2, false, 0)]).toEqual([1, 2, 1]);
    const obj = s.lookup(1, 1)!;
    expect(s.lookup(2, 2)).toBeUndefined();
    const fd = s.exportSyncobj(obj);
    expect(s.destroy(1, 1)).toBe(true);
    expect(obj.fence).toBeDefined();
    expect(s.create(1, false, 0)).toBe(1);
    expect(s.importSyncobj(2, (s.fd(fd) as { syncobj: typeof obj }).syncobj)).toBe(2);
    expect(s.destroy(1, 9)).toBe(false);
  });

  it("finds timeline points, reports the last signalled one and the last submitted one", () => {
    const reg = new FenceRegistry();
    const s = new SyncobjStore(reg);
    const t = s.lookup(1, s.create(1, false, 0))!;
    const f1 = reg.create({ context: reg.contextAlloc(1), seqno: 1 });
    const f2 = reg.create({ context: reg.contextAlloc(1), seqno: 2 });
    s.addPoint(t, f1, 1n);
    s.addPoint(t, f2, 2n);
    expect(s.query(t, false)).toBe(0n);
    expect(s.query(t, true)).toBe(2n);
    signal(f1, 10);
    expect(s.query(t, false)).toBe(1n);
    expect(isSignaled(s.fenceAt(t, 1n, 10)!)).toBe(true);
    expect(s.fenceAt(t, 3n, 10)).toBeUndefined();
    signal(f2, 20);
    expect(s.query(t, false)).toBe(2n);
  });
});
