import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GPU_MODELS_DIR, GpuModelError, listGpuModels, loadGpuModel, parseGpuModel } from "./loadModel.ts";
import { encodeGpuId, popcount } from "./model.ts";

const G610 = readFileSync(join(GPU_MODELS_DIR, "mali-g610-rk3588.yaml"), "utf8");
const tmp = mkdtempSync(join(tmpdir(), "tyrsim-model-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Replace exactly one occurrence of `from` in the G610 model text. */
function g610With(from: string, to: string): string {
  expect(G610.split(from).length).toBe(2);
  return G610.replace(from, to);
}

function errorOf(f: () => unknown): GpuModelError {
  try {
    f();
  } catch (e) {
    if (e instanceof GpuModelError) return e;
    throw e;
  }
  throw new Error("expected a GpuModelError");
}

/** 1-based line of the first line containing `needle`. */
const lineOf = (text: string, needle: string): number => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("GPU model files", () => {
  it("lists the bundled models", () => {
    expect(listGpuModels()).toEqual(["mali-g310-small", "mali-g610-rk3588"]);
  });

  it("loads and validates the RK3588 Mali-G610 with the reference's numbers", () => {
    const m = loadGpuModel("mali-g610-rk3588");
    expect(encodeGpuId(m.gpu_id)).toBe(0xa8670005);
    expect(m.compatible).toEqual(["rockchip,rk3588-mali", "arm,mali-valhall-csf"]);
    expect(m.features.mmu_features).toBe(0x2830);
    expect(popcount(m.present.shader_present)).toBe(4);
    expect(popcount(m.present.as_present)).toBe(8);
    expect(m.opp_table).toHaveLength(8);
    expect(m.opp_table.at(-1)).toEqual({ hz: 1_000_000_000, microvolt: 850_000 });
    expect(m.regulators).toEqual([{ name: "mali", optional: false }, { name: "sram", optional: true }]);
  });

  it("loads a second, smaller model that shares no G610 sizes", () => {
    const small = loadGpuModel("mali-g310-small");
    const g610 = loadGpuModel("mali-g610-rk3588");
    expect(encodeGpuId(small.gpu_id)).toBe(0xac740001);
    expect(popcount(small.present.shader_present)).toBeLessThan(popcount(g610.present.shader_present));
    expect(popcount(small.present.as_present)).toBeLessThan(popcount(g610.present.as_present));
    expect(small.firmware.csg_slot_count).toBeLessThan(g610.firmware.csg_slot_count);
    expect(small.opp_table).not.toEqual(g610.opp_table);
  });

  it("loads a model from a path", () => {
    const file = join(tmp, "copy.yaml");
    writeFileSync(file, G610);
    expect(loadGpuModel(file).name).toBe("mali-g610-rk3588");
  });

  it("rejects a field of the wrong type with an error naming file, line and field", () => {
    const file = join(tmp, "bad-type.yaml");
    const text = g610With("mmu_features: 0x00002830", 'mmu_features: "48 bits"');
    writeFileSync(file, text);
    const err = errorOf(() => loadGpuModel(file));
    const line = lineOf(text, "mmu_features:");
    expect(err.file).toBe(file);
    expect(err.issues[0]).toMatchObject({ field: "features.mmu_features", line });
    expect(err.message).toContain(`${file}:${line}:`);
    expect(err.message).toContain("features.mmu_features");
    expect(err.message).toMatch(/expected number/);
  });

  it("points at the exact OPP entry that breaks the table's order", () => {
    const text = g610With("{ hz: 400000000, microvolt: 675000 }", "{ hz: 200000000, microvolt: 675000 }");
    const err = errorOf(() => parseGpuModel(text, "opp.yaml"));
    expect(err.issues[0]).toMatchObject({ field: "opp_table[1].hz", line: lineOf(text, "hz: 200000000") });
  });

  it("names a misspelt key on its own line", () => {
    const text = g610With("  shader_present: 0x50005", "  shader_presnt: 0x50005");
    const err = errorOf(() => parseGpuModel(text, "typo.yaml"));
    const fields = err.issues.map((i) => i.field);
    expect(fields).toContain("present.shader_presnt");
    expect(fields).toContain("present.shader_present");
    const typo = err.issues.find((i) => i.field === "present.shader_presnt");
    expect(typo?.line).toBe(lineOf(text, "shader_presnt"));
  });

  it("reports YAML syntax errors with their line", () => {
    const text = g610With("gpu_rev: 0x0 ", "gpu_rev: [0x0 ");
    const err = errorOf(() => parseGpuModel(text, "syntax.yaml"));
    expect(err.message).toMatch(/^syntax\.yaml:\d+:\d+: YAML syntax/);
  });

  it("lists the available models when a name is unknown", () => {
    const err = errorOf(() => loadGpuModel("mali-g999"));
    expect(err.message).toContain('unknown GPU model "mali-g999"');
    expect(err.message).toContain("mali-g610-rk3588");
  });
});
