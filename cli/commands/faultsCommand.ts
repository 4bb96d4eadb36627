import { z } from "zod";
import { FAULT_CATALOGUE } from "../../services/faults/faultCatalogue.ts";
import { FAULT_SCHEMAS } from "../../services/faults/faultKinds.ts";

/** One field of a fault kind, as `tyrsim faults` lists it. */
export interface FaultField {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: unknown;
  readonly description?: string;
}

/** One row of the catalogue listing. */
export interface FaultListing {
  readonly kind: string;
  readonly status: "implemented" | "pending";
  readonly appliedBy: string;
  readonly does: string;
  readonly fields: readonly FaultField[];
  readonly triggers: readonly string[];
  readonly shows: readonly string[];
  readonly legacy?: string;
  readonly pending?: string;
}

interface JsonSchemaProp { type?: string; enum?: unknown[]; const?: unknown; default?: unknown; description?: string; minimum?: number; maximum?: number }

function typeOf(p: JsonSchemaProp): string {
  if (p.enum !== undefined) return p.enum.map((v) => JSON.stringify(v)).join("|");
  return p.type ?? "any";
}

/** The catalogue with each kind's fields read from its zod schema (the same one the runtime validates with). */
export function faultListing(): FaultListing[] {
  return FAULT_SCHEMAS.map((schema) => {
    const kind = schema.shape.kind.value;
    const info = FAULT_CATALOGUE[kind];
    const js = z.toJSONSchema(schema, { io: "input" }) as { properties: Record<string, JsonSchemaProp>; required?: string[] };
    const fields = Object.entries(js.properties)
      .filter(([name]) => name !== "kind")
      .map(([name, p]) => ({
        name, type: typeOf(p), required: js.required?.includes(name) ?? false,
        ...(p.default !== undefined ? { default: p.default } : {}), ...(p.description !== undefined ? { description: p.description } : {}),
      }));
    return {
      kind, status: info.status, appliedBy: info.applier === "runtime" ? "runtime" : `gpu<N>.${info.applier}`, does: info.summary, fields,
      triggers: info.triggers, shows: info.effects, ...(info.legacy !== undefined ? { legacy: info.legacy } : {}), ...(info.pending !== undefined ? { pending: info.pending } : {}),
    };
  });
}

/** The listing as text. */
export function formatFaultListing(rows: readonly FaultListing[]): string {
  const out = [
    "Faults: publish {\"type\":\"FaultInjected\",\"payload\":{\"fault\":{\"kind\":…},\"trigger\"?:{\"on\":{\"eventType\",\"count\",\"match\"}}}} on tyrsim.<run>.fault.inject",
    "(a scenario step, `tyrsim inject`, or any NATS client). Without a trigger a fault acts when delivered (the input's atNs).",
    "",
  ];
  for (const r of rows) {
    out.push(`${r.kind}${r.status === "pending" ? "  [pending]" : ""}  — applied by ${r.appliedBy}`);
    out.push(`    ${r.does}`);
    for (const f of r.fields) {
      const extra = [f.required ? "required" : f.default !== undefined ? `default ${JSON.stringify(f.default)}` : "optional", f.description].filter(Boolean).join("; ");
      out.push(`    ${f.name.padEnd(9)} ${f.type.padEnd(26)} ${extra}`);
    }
    if (r.triggers.length > 0) out.push(`    triggers: ${r.triggers.join(", ")}`);
    if (r.shows.length > 0) out.push(`    shows:    FaultApplied, ${r.shows.join(", ")}`);
    if (r.legacy !== undefined) out.push(`    also:     ${r.legacy} (older event, still accepted)`);
    if (r.pending !== undefined) out.push(`    pending:  ${r.pending}`);
    out.push("");
  }
  return out.join("\n");
}

/** `tyrsim faults [--json]`: the fault catalogue — kind, what it does, fields, triggers, the events that show it. */
export function faultsCommand(opts: { readonly json?: boolean }): Promise<number> {
  const rows = faultListing();
  process.stdout.write(opts.json === true ? JSON.stringify(rows, null, 2) + "\n" : formatFaultListing(rows));
  return Promise.resolve(0);
}
