import { describe, expect, it } from "vitest";
import { ERRNO, errnoName, isKnownErrno } from "./errno.ts";

describe("errno table", () => {
  it("holds the Linux generic values", () => {
    expect(ERRNO.EINVAL).toBe(22);
    expect(ERRNO.ETIMEDOUT).toBe(110);
    expect(ERRNO.ECANCELED).toBe(125);
    expect(ERRNO.E2BIG).toBe(7);
  });

  it("names errno values, negated or not", () => {
    expect(errnoName(22)).toBe("EINVAL");
    expect(errnoName(-110)).toBe("ETIMEDOUT");
    expect(errnoName(4095)).toBe("errno 4095");
    expect(isKnownErrno(-ERRNO.ENODEV)).toBe(true);
  });

  it("gives every value a single name", () => {
    const values = Object.values(ERRNO);
    expect(new Set(values).size).toBe(values.length);
  });
});
