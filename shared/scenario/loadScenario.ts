import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { LineCounter, parseDocument, isNode, type Document } from "yaml";
import type { z } from "zod";
import type { EventRegistry } from "../events/registry.ts";
import { isValidSubject } from "../events/subjects.ts";
import { ScenarioSchema, type Scenario } from "./scenarioSchema.ts";

/** A scenario that cannot be used, with the file, the line and the field to fix. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(readonly file: string, readonly line: number, readonly field: string, readonly reason: string) {
    super(`${file}:${line}: ${field === "" ? "" : `${field}: `}${reason}`);
  }
}

/** A loaded scenario with its source text (which goes into the log header for replay). */
export interface LoadedScenario {
  readonly file: string;
  readonly text: string;
  readonly scenario: Scenario;
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number {
  // Walk up the path until a node with a source range exists (a missing field points at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
}

/**
 * Parse and validate scenario YAML. Every problem — YAML syntax, a schema violation, an unknown
 * event type, a payload that does not fit its type — is a `ScenarioError` naming file, line and field.
 */
export function parseScenario(text: string, file: string, registry: EventRegistry): Scenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const line = yamlError.linePos?.[0]?.line ?? counter.linePos(yamlError.pos[0]).line;
    throw new ScenarioError(file, line, "", `YAML: ${yamlError.message.split("\n")[0]}`);
  }
  const fail = (path: readonly PropertyKey[], reason: string): never => {
    throw new ScenarioError(file, lineOf(doc, counter, path), fieldOf(path), reason);
  };
  const parsed = ScenarioSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    return fail(issue.path, issue.message);
  }
  const scenario = parsed.data;
  scenario.steps.forEach((step, i) => {
    const def = registry.get(step.type);
    if (def === undefined) return fail(["steps", i, "type"], `unknown event type '${step.type}'`);
    if (!isValidSubject(step.path.replaceAll("{gpu}", "0"))) fail(["steps", i, "path"], `not a subject path: '${step.path}'`);
    const payload = def.payload.safeParse(step.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0] as z.core.$ZodIssue;
      fail(["steps", i, "payload", ...issue.path], issue.message);
    }
    step.payload = payload.success ? payload.data : step.payload;
    if (step.at > scenario.duration) fail(["steps", i, "at"], `after the end of the run (duration ${scenario.duration} ns)`);
    if (step.every === 0 && step.count > 1) fail(["steps", i, "every"], "must be longer than 0 when count > 1");
  });
  return scenario;
}

/** Load a scenario file; `ScenarioError` for anything wrong in it (a missing file is line 0). */
export function loadScenarioFile(path: string, registry: EventRegistry): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ScenarioError(path, 0, "", `cannot read: ${(e as Error).message}`);
  }
  return { file: basename(path), text, scenario: parseScenario(text, path, registry) };
}
