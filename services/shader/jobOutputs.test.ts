import { describe, expect, it } from "vitest";
import { decodeWrite, encodeBytes } from "../memory/memoryWrites.ts";
import { jobOutputWrites } from "./jobOutputs.ts";

describe("job output writes", () => {
  it("splits an output write where its pages map to different frames", () => {
    const data = encodeBytes(Uint8Array.from({ length: 16 }, (_, i) => i));
    const writes = jobOutputWrites("j", [{ va: 0x1ff8, data }], [{ va: 0x1000, pa: 0x9000, size: 0x2000 - 0x1000 }, { va: 0x2000, pa: 0x5000, size: 0x1000 }]);
    expect(writes.map((w) => ({ ...decodeWrite(w), agent: w.agent, job: w.job }))).toEqual([
      { pa: 0x9ff8, bytes: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]), agent: "shader", job: "j" },
      { pa: 0x5000, bytes: Uint8Array.from([8, 9, 10, 11, 12, 13, 14, 15]), agent: "shader", job: "j" },
    ]);
    expect(() => jobOutputWrites("j", [{ va: 0x8000, data }], [])).toThrow(/not translated/);
  });
});
