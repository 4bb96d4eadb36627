import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AuditReport } from "../runtime/audit/auditReport.ts";
import { runLogged } from "./support/auditRuns.ts";

const env = { ...process.env, CI: "1" };
const tyrsim = (...args: string[]) => spawnSync(process.execPath, ["bin/tyrsim.mjs", ...args], { encoding: "utf8", env });

describe("tyrsim audit --html and the page tyrsim run writes", () => {
  it("writes the report as an HTML page with its timeline, beside the unchanged text or JSON on stdout", async () => {
    // given the log of a run with a hung job
    const { log } = await runLogged({ file: "scenarios/job-faults.yaml" });
    const page = join(mkdtempSync(join(tmpdir(), "tyrsim-audit-cli-")), "page.html");
    // when it is audited with --json and --html
    const r = tyrsim("audit", log, "--json", "--html", page);
    // then stdout is still the JSON report, stderr says where the page is, and the page shows the same verdict
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as AuditReport;
    expect(r.stderr).toContain(`audit page: ${page}`);
    const html = readFileSync(page, "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(json.verdict.summary);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="timeline" id="timeline"');
  });

  it("makes tyrsim run write audit.html beside the log and say where", () => {
    const out = mkdtempSync(join(tmpdir(), "tyrsim-audit-run-"));
    const r = tyrsim("run", "scenarios/boot.yaml", "--out", out, "--no-trace");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`audit page:   ${join(out, "audit.html")}`);
    expect(existsSync(join(out, "audit.html"))).toBe(true);
    expect(readFileSync(join(out, "audit.html"), "utf8")).toContain("clean: no failure, no broken invariant");
  });
});
