import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LineReader, linesContaining, streamLinesContaining } from "./lineReader.ts";

/** The reader's chunk size (1 MiB): the boundary the straddling tests aim at. */
const CHUNK = 1 << 20;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileWith(content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), "tyrsim-lines-"));
  dirs.push(dir);
  const path = join(dir, "file.txt");
  writeFileSync(path, content);
  return path;
}

function readAll(path: string): string[] {
  const reader = new LineReader(path);
  const lines: string[] = [];
  try {
    for (let l = reader.next(); l !== undefined; l = reader.next()) lines.push(l);
  } finally {
    reader.close();
  }
  return lines;
}

/** A first line of ASCII padding so that `tail` starts `offset` bytes into the file. */
function paddedTo(offset: number, tail: string): string {
  return "p".repeat(offset - 1) + "\n" + tail;
}

describe("LineReader", () => {
  it("reads lines without their newlines, in order, and counts them from 1", () => {
    // given a three-line file
    const reader = new LineReader(fileWith("alpha\nbeta\ngamma\n"));
    // when read line by line
    expect(reader.lineNumber).toBe(0);
    expect(reader.next()).toBe("alpha");
    expect(reader.lineNumber).toBe(1);
    expect(reader.next()).toBe("beta");
    expect(reader.next()).toBe("gamma");
    expect(reader.lineNumber).toBe(3);
    // then the end is undefined, and stays so
    expect(reader.next()).toBeUndefined();
    expect(reader.next()).toBeUndefined();
    expect(reader.lineNumber).toBe(3);
    reader.close();
  });

  it("reads the last line of a file without a trailing newline", () => {
    expect(readAll(fileWith("one\ntwo\nthree"))).toEqual(["one", "two", "three"]);
  });

  it("reads a single line without any newline", () => {
    expect(readAll(fileWith("only"))).toEqual(["only"]);
  });

  it("reads nothing from an empty file", () => {
    expect(readAll(fileWith(""))).toEqual([]);
  });

  it("keeps empty lines in the middle of a file", () => {
    expect(readAll(fileWith("a\n\n\nb\n"))).toEqual(["a", "", "", "b"]);
  });

  it("reads a line longer than its 1 MiB chunk, whole", () => {
    // given a 3.5 MiB line between two short ones
    const long = "x".repeat(3 * CHUNK + CHUNK / 2);
    // when read
    const lines = readAll(fileWith(`before\n${long}\nafter\n`));
    // then the long line comes back intact
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe("before");
    expect(lines[1]?.length).toBe(long.length);
    expect(lines[1] === long).toBe(true);
    expect(lines[2]).toBe("after");
  });

  it("reads a newline that falls exactly on the chunk boundary", () => {
    const first = "a".repeat(CHUNK - 1);
    expect(readAll(fileWith(`${first}\nsecond\n`))).toEqual([first, "second"]);
  });

  it.each([
    ["µ (2 bytes)", "µ", 1],
    ["€ (3 bytes)", "€", 1],
    ["€ (3 bytes)", "€", 2],
    ["🦀 (4 bytes)", "🦀", 1],
    ["🦀 (4 bytes)", "🦀", 2],
    ["🦀 (4 bytes)", "🦀", 3],
  ])("decodes %s split %i byte(s) before the chunk boundary", (_label, char, bytesBefore) => {
    // given a multi-byte character that starts `bytesBefore` bytes before the 1 MiB boundary
    const tail = `${char}${char} tail ${char}`;
    const content = paddedTo(CHUNK - bytesBefore, tail) + "\nnext µ line\n";
    expect(Buffer.from(content).subarray(0, CHUNK).toString("utf8").endsWith("\ufffd")).toBe(true);
    // when read
    const lines = readAll(fileWith(content));
    // then no replacement characters appear and the text is intact
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(tail);
    expect(lines[2]).toBe("next µ line");
  });

  it("decodes multi-byte characters at every position around several chunk boundaries", () => {
    // given a long line of mixed-width characters crossing three chunk boundaries
    const unit = "aµ€🦀";
    const long = unit.repeat(Math.ceil((3 * CHUNK) / Buffer.byteLength(unit)));
    // when read
    const lines = readAll(fileWith(`${long}\n${long}`));
    // then both copies come back byte-identical
    expect(lines).toHaveLength(2);
    expect(lines[0] === long).toBe(true);
    expect(lines[1] === long).toBe(true);
    expect(lines.some((l) => l.includes("\ufffd"))).toBe(false);
  });

  it("counts lines across chunk boundaries", () => {
    // given 300k short numbered lines (well over one chunk)
    const count = 300_000;
    const content = Array.from({ length: count }, (_, i) => `line ${i}`).join("\n") + "\n";
    expect(Buffer.byteLength(content)).toBeGreaterThan(2 * CHUNK);
    const reader = new LineReader(fileWith(content));
    // when read, then line i is numbered i+1 and says so
    let mismatches = 0;
    for (let l = reader.next(); l !== undefined; l = reader.next()) {
      if (l !== `line ${reader.lineNumber - 1}`) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(reader.lineNumber).toBe(count);
    reader.close();
  });

  it("throws at construction when the file does not exist", () => {
    expect(() => new LineReader(join(tmpdir(), "tyrsim-no-such-dir", "missing.jsonl"))).toThrow(/ENOENT/);
  });
});

describe("streamLinesContaining", () => {
  it("yields exactly the lines that contain the needle, whole and in file order", () => {
    const path = fileWith('{"source":"a"}\n{"source":"injector","n":1}\nplain\n{"x":"µ","source":"injector"}\n');
    expect(linesContaining(path, '"source":"injector"')).toEqual(['{"source":"injector","n":1}', '{"x":"µ","source":"injector"}']);
    expect(linesContaining(path, "absent")).toEqual([]);
  });

  it("finds a match in a last line without a newline, and two matches in one line once", () => {
    expect(linesContaining(fileWith("a\nneedle and needle"), "needle")).toEqual(["needle and needle"]);
  });

  it.each([-12, -5, -1, 0, 1, 7])("finds a line whose match straddles the chunk boundary (offset %i)", (shift) => {
    // given a match that starts `shift` bytes from the 1 MiB boundary, inside a line that spans it
    const line = `{"id":"x","source":"injector","pad":"${"é".repeat(10)}"}`;
    const path = fileWith(paddedTo(CHUNK + shift - 10, line + "\nlast\n"));
    // then it is found whole, and nothing else is
    expect(linesContaining(path, '"source":"injector"')).toEqual([line]);
  });

  it("finds matching lines longer than the 1 MiB chunk, and matches in the chunks after them", () => {
    // given a 2.5 MiB matching line, a 1.5 MiB line without a match, and short lines around them
    const long = `{"source":"injector","pad":"${"x".repeat(2.5 * CHUNK)}"}`;
    const content = ['{"source":"injector","n":1}', long, "y".repeat(1.5 * CHUNK), '{"n":2,"source":"injector"}', "tail"].join("\n");
    // then every matching line is found whole, as a plain split of the text finds them
    const found = linesContaining(fileWith(content), '"source":"injector"');
    expect(found.map((l) => l.length)).toEqual([27, long.length, 27]);
    expect(found).toEqual(content.split("\n").filter((l) => l.includes('"source":"injector"')));
  });

  it("streams: a consumer may stop at any match", () => {
    const path = fileWith("hit 1\nmiss\nhit 2\nhit 3\n");
    const seen: string[] = [];
    for (const l of streamLinesContaining(path, "hit")) {
      seen.push(l);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(["hit 1", "hit 2"]);
  });

  it("skips, undecoded, the matching lines the filter refuses by their bytes, and only those", () => {
    // given matching lines, two of which start with "skip"
    const path = fileWith("skip hit 1\nhit 2\nskip-no\nskip hit 3 µ\nhit 4 µ\n");
    const seen: string[] = [];
    // when the filter refuses lines starting with "skip " (and records what it was shown)
    const prefix = Buffer.from("skip ");
    const found = [...streamLinesContaining(path, "hit", (bytes, start, end) => {
      seen.push(bytes.toString("utf8", start, end));
      return bytes.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
    })];
    // then only the other matching lines come out, and the filter saw exactly the matching lines
    expect(found).toEqual(["hit 2", "hit 4 µ"]);
    expect(seen).toEqual(["skip hit 1", "hit 2", "skip hit 3 µ", "hit 4 µ"]);
  });
});
