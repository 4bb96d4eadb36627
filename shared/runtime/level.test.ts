import { describe, expect, it } from "vitest";
import { atLevel, levelLess, maxLevel, minLevel } from "./level.ts";

const a = { timeNs: 100, depth: 2 };
const b = { timeNs: 100, depth: 3 };
const c = { timeNs: 200, depth: 0 };

describe("levels", () => {
  it("are ordered by time, then by depth", () => {
    expect(levelLess(a, b)).toBe(true);
    expect(levelLess(b, c)).toBe(true);
    expect(levelLess(c, a)).toBe(false);
    expect(levelLess(a, { ...a })).toBe(false);
    expect(atLevel({ timeNs: 100, depth: 2 }, a)).toBe(true);
    expect(atLevel(b, a)).toBe(false);
  });

  it("give the earlier and the later of two, where undefined is none", () => {
    expect(minLevel(b, a)).toBe(a);
    expect(maxLevel(a, c)).toBe(c);
    expect(maxLevel(b, a)).toBe(b);
    expect(minLevel(undefined, c)).toBe(c);
    expect(maxLevel(a, undefined)).toBe(a);
    expect(maxLevel(undefined, undefined)).toBeUndefined();
  });
});
