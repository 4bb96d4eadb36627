import { describe, expect, it } from "vitest";
import { createCatalogue } from "../../services/catalogue.ts";
import { parseScenario } from "../../shared/scenario/loadScenario.ts";
import { applyVariantText, COMPARE_VARIANTS, loadVariant } from "./compareVariants.ts";

const TEXT = `# a comment that must survive
name: demo
duration: 1ms
driver: { devfreq: true }
steps: []
`;

describe("compare variants", () => {
  it("set the scheduler and power policy in the scenario text, keeping its comments, under a name per variant", () => {
    const registry = createCatalogue();
    const base = { file: "demo.yaml", text: TEXT, scenario: parseScenario(TEXT, "demo.yaml", registry) };
    const [jq, ds, off] = COMPARE_VARIANTS.map((v) => loadVariant(base, v, registry));
    expect(jq!.scenario.driver).toMatchObject({ scheduler: "jobqueue", devfreq: true, runtimePm: true });
    expect(ds!.scenario.driver.scheduler).toBe("drm_sched");
    expect(off!.scenario.driver).toMatchObject({ scheduler: "jobqueue", devfreq: false, runtimePm: false });
    expect(ds!.scenario.name).toBe("demo-drm-sched");
    expect(applyVariantText(TEXT, COMPARE_VARIANTS[2]!)).toContain("# a comment that must survive");
    expect(base.scenario.driver.scheduler).toBe("jobqueue");
  });
});
