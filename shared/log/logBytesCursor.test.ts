import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogBytesCursor } from "./logBytesCursor.ts";

const file = (text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), "tyrsim-cursor-")), "events.jsonl");
  writeFileSync(path, text);
  return path;
};
const bytes = (text: string): Uint8Array => Buffer.from(text, "utf8");

describe("LogBytesCursor", () => {
  it("matches the bytes after the header line, in pieces of any size, and then is at the end", () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `{"seq":${i},"note":"µs ${"x".repeat(i % 700)}"}\n`).join("");
    const cursor = new LogBytesCursor(file(`{"format":"tyrsim-log"}\n${lines}`));
    // pieces that cross the cursor's 1 MiB chunks and split multi-byte characters
    const all = bytes(lines);
    for (let at = 0; at < all.length; at += 77_777) expect(cursor.matches(all.subarray(at, at + 77_777))).toBe(true);
    expect(cursor.atEnd()).toBe(true);
    cursor.close();
  });

  it("tells a differing byte, a file that ends early and a file that runs long", () => {
    const text = '{"h":1}\n{"a":1}\n{"b":2}\n';
    const differs = new LogBytesCursor(file(text));
    expect(differs.matches(bytes('{"a":1}\n{"b":3}\n'))).toBe(false);
    differs.close();
    const short = new LogBytesCursor(file(text));
    expect(short.matches(bytes('{"a":1}\n{"b":2}\n{"c":3}\n'))).toBe(false);
    short.close();
    const long = new LogBytesCursor(file(text));
    expect(long.matches(bytes('{"a":1}\n'))).toBe(true);
    expect(long.atEnd()).toBe(false);
    long.close();
  });

  it("holds a file with nothing but its header (or not even a whole one) as empty", () => {
    const header = new LogBytesCursor(file('{"h":1}\n'));
    expect(header.matches(new Uint8Array(0))).toBe(true);
    expect(header.atEnd()).toBe(true);
    header.close();
    const cut = new LogBytesCursor(file('{"h":'));
    expect(cut.matches(bytes("x"))).toBe(false);
    expect(cut.atEnd()).toBe(true);
    cut.close();
  });
});
