import { describe, expect, it } from "vitest";
import { decodeBytes, decodeBytesTransient, encodeBytes } from "./memoryWrites.ts";

describe("memory write payloads", () => {
  it("decodes the same bytes through the transient view as through the owned copy", () => {
    // given payloads of several sizes, empty and page-sized included
    for (const size of [0, 1, 3, 64, 4096]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 37 + size) & 0xff);
      const data = encodeBytes(bytes);
      // then both decoders give the bytes that were encoded
      expect(Array.from(decodeBytesTransient(data))).toEqual(Array.from(bytes));
      expect(decodeBytes(data)).toEqual(bytes);
    }
  });
});
