import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { composeServices } from "../runtime/multiprocess/composeServices.ts";
import { SERVICE_KINDS } from "../runtime/multiprocess/partition.ts";

/** dclint validates a compose file against the compose-spec JSON schema (no Docker engine needed). */
const dclint = (file: string) => spawnSync(process.execPath, ["node_modules/dclint/bin/dclint.cjs", file], { encoding: "utf8" });

type Compose = { services: Record<string, { depends_on?: Record<string, unknown>; command?: string[] }> };

describe("docker-compose.yml", () => {
  it("validates against the compose specification schema", () => {
    const r = dclint("docker-compose.yml");
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("would be refused if a service carried a key the specification does not know", () => {
    const bad = join(mkdtempSync(join(tmpdir(), "tyrsim-compose-")), "docker-compose.yml");
    writeFileSync(bad, readFileSync("docker-compose.yml", "utf8").replace("  restart: on-failure\n", "  restart: on-failure\n  colour: red\n"));
    const r = dclint(bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("must NOT have additional properties");
  });

  it("lists one service per actor kind, each with an entry point that exists, and only existing dependencies", () => {
    const doc = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as Compose;
    const services = composeServices();
    expect(services.map((s) => s.kind).sort()).toEqual([...SERVICE_KINDS].sort());
    for (const s of services) expect(existsSync(s.entry), s.entry).toBe(true);
    for (const [name, svc] of Object.entries(doc.services)) {
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(Object.keys(doc.services), `${name} depends on ${dep}`).toContain(dep);
    }
    // the coordinator waits for exactly those services
    const coordinator = doc.services["coordinator"]?.command ?? [];
    const waitsFor = coordinator[coordinator.indexOf("--services") + 1]?.split(",") ?? [];
    expect(waitsFor.sort()).toEqual(services.map((s) => s.name).sort());
  });
});
