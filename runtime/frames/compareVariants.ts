/**
 * The variants `tyrsim compare` runs a scenario in: the JobQueue against panthor's drm_sched, and
 * the power policy (devfreq + runtime PM) on against off. A variant is applied to the scenario's
 * YAML document in memory — its `name` and `driver:` fields set — and the result parsed as any
 * scenario is, so each variant's log header carries the text it really ran (replayable) and its
 * run id names the variant. Scenario files are never touched.
 */
import { parseDocument } from "yaml";
import type { EventRegistry } from "../../shared/events/registry.ts";
import { parseScenario, type LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import type { DriverConfig } from "../../shared/scenario/scenarioSchema.ts";

/** One variant: a label, a suffix for the scenario name, and the driver fields it sets. */
export interface CompareVariant {
  readonly label: string;
  readonly suffix: string;
  readonly driver: Partial<Pick<DriverConfig, "scheduler" | "devfreq" | "runtimePm">>;
}

/** The compared variants, in table order. */
export const COMPARE_VARIANTS: readonly CompareVariant[] = [
  { label: "jobqueue, power on", suffix: "jobqueue", driver: { scheduler: "jobqueue", devfreq: true, runtimePm: true } },
  { label: "drm_sched, power on", suffix: "drm-sched", driver: { scheduler: "drm_sched", devfreq: true, runtimePm: true } },
  { label: "jobqueue, power off", suffix: "power-off", driver: { scheduler: "jobqueue", devfreq: false, runtimePm: false } },
];

/** The scenario text with the variant applied (comments and every other field kept). */
export function applyVariantText(text: string, v: CompareVariant): string {
  const doc = parseDocument(text);
  const name = String(doc.get("name") ?? "scenario");
  doc.set("name", `${name}-${v.suffix}`);
  for (const [k, value] of Object.entries(v.driver)) doc.setIn(["driver", k], value);
  return doc.toString();
}

/** The loaded scenario of a variant, validated as a file would be (errors name the original file). */
export function loadVariant(base: LoadedScenario, v: CompareVariant, registry: EventRegistry): LoadedScenario {
  const text = applyVariantText(base.text, v);
  return { file: base.file, text, scenario: parseScenario(text, base.file, registry) };
}
