import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const tyrsim = (...args: string[]) => spawnSync(process.execPath, ["bin/tyrsim.mjs", ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });
const tmp = () => mkdtempSync(join(tmpdir(), "tyrsim-cli-"));

describe("the tyrsim command", () => {
  it("runs a scenario, writes the run folder and prints the summary as JSON", () => {
    const out = tmp();
    const r = tyrsim("run", "scenarios/boot.yaml", "--seed", "2", "--out", out, "--json");
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout) as { run: string; digest: string; events: number };
    const written = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as typeof printed;
    expect(printed).toEqual(written);
    expect(printed.run).toBe("boot-2");
    expect(readFileSync(join(out, "events.jsonl"), "utf8").split("\n").filter(Boolean)).toHaveLength(printed.events + 1);
    // and the Perfetto trace beside it
    const trace = JSON.parse(readFileSync(join(out, "trace.json"), "utf8")) as { traceEvents: unknown[] };
    expect(trace.traceEvents.length).toBeGreaterThan(printed.events / 2);
    // and the audit: a clean run, no broken invariant
    expect(readFileSync(join(out, "audit.txt"), "utf8")).toContain("boot-2");
    const audit = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as { invariants: { violations: unknown[] } };
    expect(audit.invariants.violations).toEqual([]);
  });

  it("exits 0 on a matching replay and 1 with the divergence on a tampered log", () => {
    const out = tmp();
    expect(tyrsim("run", "scenarios/boot.yaml", "--out", out).status).toBe(0);
    const log = join(out, "events.jsonl");
    const ok = tyrsim("replay", log);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/match: \d+ events identical/);
    const tampered = join(out, "tampered.jsonl");
    writeFileSync(tampered, readFileSync(log, "utf8").replace('"reason":"l2-off"', '"reason":"busy"'));
    const bad = tyrsim("replay", tampered);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/DIVERGED at event #1 /);
    expect(bad.stdout).toContain('"reason":"busy"');
  });

  it("names the file, line and field of a broken scenario and exits 2", () => {
    const dir = tmp();
    const file = join(dir, "broken.yaml");
    writeFileSync(file, ["name: broken", "duration: 1ms", "steps:", "  - { at: 0us, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l3, mask: 1 } }", ""].join("\n"));
    const r = tyrsim("run", file, "--out", dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:4: steps[0].payload.domain:`);
  });

  it("tails a log with a relative subject filter and a type filter", () => {
    const out = tmp();
    tyrsim("run", "scenarios/boot.yaml", "--out", out);
    const r = tyrsim("tail", join(out, "events.jsonl"), "gpu0.pwr.error", "--json");
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(["PowerRequestRejected"]);
    const typed = tyrsim("tail", join(out, "events.jsonl"), "--type", "PowerDomainChanged", "--limit", "2");
    expect(typed.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("prints help for each subcommand", () => {
    for (const cmd of ["run", "replay", "tail"]) {
      const r = tyrsim(cmd, "--help");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: tyrsim ${cmd}`);
    }
  });
});
