import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

describe("the multi-process runtime (tyrsim up)", () => {
  it("runs every actor service as its own process over NATS and writes the embedded run's log, byte for byte", async () => {
    // given the probe scenario with a seed no other test uses (run ids are shared on a shared NATS server)
    const seed = 7701;
    const out = mkdtempSync(join(tmpdir(), "tyrsim-up-"));
    // when `tyrsim up` runs it with real processes
    const up = spawnSync(process.execPath, ["bin/tyrsim.mjs", "up", "scenarios/probe.yaml", "--seed", String(seed), "--out", out, "--nats", nats().url, "--json"], {
      encoding: "utf8",
      env: { ...process.env, CI: "1" },
      timeout: 120_000,
    });
    expect(up.status, up.stderr).toBe(0);
    const summary = JSON.parse(up.stdout) as { digest: string; events: number; runtime: string; rounds: number };
    // then every service joined, and the log equals the embedded runtime's for the same scenario and seed
    for (const svc of ["memory", "regs", "power", "mmu", "shader", "firmware", "driver"]) expect(up.stderr).toContain(`${svc} joined`);
    const embedded = await runEmbedded({ loaded: loadScenarioFile("scenarios/probe.yaml", createCatalogue()), seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    expect(summary.runtime).toBe("multi-process");
    expect(summary.events).toBe(embedded.events);
    expect(summary.digest).toBe(embedded.digest);
    expect(readFileSync(join(out, "events.jsonl"))).toEqual(readFileSync(embedded.log));
    expect(summary.rounds).toBeGreaterThan(0);
    // and the run is in JetStream: exported, it is the same file; replayed straight from there, it matches
    const exported = join(out, "exported.jsonl");
    const exp = spawnSync(process.execPath, ["bin/tyrsim.mjs", "export", `probe-${seed}`, "--nats", nats().url, "-o", exported], { encoding: "utf8", env: { ...process.env, CI: "1" } });
    expect(exp.status, exp.stderr).toBe(0);
    expect(readFileSync(exported)).toEqual(readFileSync(embedded.log));
    const replay = spawnSync(process.execPath, ["bin/tyrsim.mjs", "replay", `${nats().url.replace(/\/$/, "")}/probe-${seed}`], { encoding: "utf8", env: { ...process.env, CI: "1" } });
    expect(replay.status, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`match: ${embedded.events} events identical`);
  }, 150_000);

  it("says which service it waits for when one never comes, instead of waiting silently", async () => {
    // given a coordinator told to wait for a service that does not exist
    const child = spawn(process.execPath, ["bin/tyrsim.mjs", "coordinate", "scenarios/probe.yaml", "--seed", "7703", "--out", mkdtempSync(join(tmpdir(), "tyrsim-ghost-")), "--nats", nats().url, "--services", "ghost", "--no-jetstream"], {
      env: { ...process.env, CI: "1" },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // when a few seconds pass (the nag comes every 3 s; start-up on a loaded machine takes its own time)
    for (let i = 0; i < 300 && !stderr.includes("waiting for ghost"); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    // then it has said, more than once would be fine, that virtual time waits for "ghost"
    expect(stderr).toContain("virtual time not started: waiting for ghost");
  }, 60_000);
});
