import { describe, expect, it } from "vitest";
import { parseLedValue } from "./ledValue.ts";

describe("the value written to /dev/led (kstrtobool)", () => {
  it("accepts what echo writes and kstrtobool's spellings", () => {
    expect(["1", "1\n", "y", "Yes", "on", "ON"].map(parseLedValue)).toEqual([true, true, true, true, true, true]);
    expect(["0", "0\n", "n", "No", "off", "oFf"].map(parseLedValue)).toEqual([false, false, false, false, false, false]);
  });

  it("refuses anything else, including an empty write", () => {
    expect(["", "2", "blink", "o", "\n1"].map(parseLedValue)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
