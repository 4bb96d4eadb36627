import { readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { GpuModelSchema, type GpuModel } from "./model.ts";

/** Directory of the bundled model files (`shared/gpu/models`). */
export const GPU_MODELS_DIR = fileURLToPath(new URL("./models/", import.meta.url));

/** One problem in a model file, located to the line and column of the offending YAML node. */
export interface GpuModelIssue {
  /** Dotted path of the field, e.g. `opp_table[2].microvolt`; empty for the whole document. */
  readonly field: string;
  /** 1-based line; 0 when the file could not be read at all. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * A GPU model file could not be read, parsed or validated. The message names the file, the line
 * and the field (`models/x.yaml:12:14: features.mmu_features: …`) so the user can go and fix it;
 * `issues` carries every problem found, not just the first.
 */
export class GpuModelError extends Error {
  override readonly name = "GpuModelError";
  constructor(
    readonly file: string,
    readonly issues: readonly GpuModelIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      issues
        .map((i) => `${file}${i.line > 0 ? `:${i.line}:${i.column}` : ""}: ${i.field === "" ? "" : `${i.field}: `}${i.message}`)
        .join("\n"),
      options,
    );
  }
}

/** `a.b[2].c` from a zod/yaml path. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (s, k) => (typeof k === "number" ? `${s}[${k}]` : s === "" ? String(k) : `${s}.${String(k)}`),
    "",
  );
}

/**
 * Start offset of the deepest YAML node along `path`: the value node when it exists (or its key
 * when `atKey`, for an unknown key), else the nearest existing ancestor's (a missing key).
 */
function nodeOffset(doc: Document, path: readonly PropertyKey[], atKey: boolean): number {
  let node: unknown = doc.contents;
  let at = doc.contents?.range?.[0] ?? 0;
  for (const [depth, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      if (pair === undefined) break;
      const keyAt = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      const valueAt = isScalar(pair.value) || isMap(pair.value) || isSeq(pair.value) ? pair.value.range?.[0] : undefined;
      at = (atKey && depth === path.length - 1 ? keyAt : (valueAt ?? keyAt)) ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      const item: unknown = node.items[key];
      if (!(isScalar(item) || isMap(item) || isSeq(item)) || item.range == null) break;
      at = item.range[0];
      node = item;
    } else break;
  }
  return at;
}

function issuesFromZod(doc: Document, lc: LineCounter, error: z.ZodError): GpuModelIssue[] {
  return error.issues
    .flatMap((issue) => {
      // zod reports unknown keys on their parent; report each key where it is written.
      const unknown = issue.code === "unrecognized_keys";
      const paths = unknown ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      return paths.map((path) => {
        const { line, col } = lc.linePos(nodeOffset(doc, path, unknown));
        const message = unknown
          ? "unknown field (misspelt?); see GpuModelSchema in shared/gpu/model.ts"
          : doc.hasIn(path)
            ? issue.message
            : "required field is missing";
        return { field: fieldName(path), line, column: col, message };
      });
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Parse and validate model text (pure; `file` only appears in error messages).
 * Throws {@link GpuModelError} on YAML syntax errors and schema violations.
 */
export function parseGpuModel(text: string, file: string): GpuModel {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new GpuModelError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { field: "", line, column: col, message: `YAML syntax: ${e.message.split("\n")[0] ?? e.code}` };
      }),
    );
  }
  const result = GpuModelSchema.safeParse(doc.toJS());
  if (!result.success) throw new GpuModelError(file, issuesFromZod(doc, lineCounter, result.error), { cause: result.error });
  return result.data;
}

/** Names of the bundled models (file names without `.yaml`), sorted. */
export function listGpuModels(): string[] {
  return readdirSync(GPU_MODELS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

/** True when `nameOrPath` names a file rather than a bundled model. */
const isPath = (s: string): boolean => s.includes("/") || s.includes("\\") || /\.ya?ml$/.test(s);

/**
 * Load a GPU model by bundled name (`"mali-g610-rk3588"`, see {@link listGpuModels}) or by path
 * to a YAML file (relative to the working directory). Errors name file, line and field.
 *
 * @example loadGpuModel("mali-g610-rk3588").present.shader_present // 0x50005
 */
export function loadGpuModel(nameOrPath: string): GpuModel {
  const file = isPath(nameOrPath) ? resolve(nameOrPath) : join(GPU_MODELS_DIR, `${nameOrPath}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    const hint = isPath(nameOrPath)
      ? "check the path"
      : `unknown GPU model "${nameOrPath}"; available: ${listGpuModels().join(", ")}`;
    throw new GpuModelError(file, [{ field: "", line: 0, column: 0, message: `cannot read model file: ${hint}` }], { cause });
  }
  return parseGpuModel(text, file);
}
