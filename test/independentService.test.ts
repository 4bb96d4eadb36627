import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { composeServices } from "../runtime/multiprocess/composeServices.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

/** A child process whose output is kept, and its exit code. */
function start(cmd: string, args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, CI: "1", ...env } });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited, output: () => out };
}

describe("a service written in another language from docs/protocol.md alone", () => {
  it("replaces the memory service: a run with the Python memory replica logs what the embedded runtime logs, byte for byte", async () => {
    // given the memory scenario (probe, BOs, VM_BIND: page tables written as MemoryWritten), plus a
    // write outside RAM, and a memory-pressure fault armed on the next write, then one applied at once
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-python-"));
    const scenario = join(dir, "py-memory.yaml");
    const base = readFileSync("scenarios/memory.yaml", "utf8").replace(/^name: memory$/m, "name: py-memory");
    writeFileSync(
      scenario,
      base.trimEnd() +
        "\n" +
        [
          "  - { at: 900us, type: FaultInjected, path: fault.inject, payload: { fault: { kind: memory-pressure, bytes: 1048576 }, trigger: { on: { eventType: MemoryWritten, count: 2, match: { agent: cpu } } } } }",
          "  - { at: 9ms, type: MemoryWritten, path: gpu0.mem.write, payload: { agent: cpu, pa: 9000000000000, data: AAECAw== } }",
          "  - { at: 9500us, type: FaultInjected, path: fault.inject, payload: { fault: { kind: memory-pressure, bytes: 268435456 } } }",
          "",
        ].join("\n"),
    );
    const loaded = loadScenarioFile(scenario, createCatalogue());
    const seed = 8811;
    const ram = loadGpuModel(loaded.scenario.model).memory.system_ram_bytes;
    // when the run is coordinated over NATS with our services for every kind but memory, and the Python program for memory
    const env = { TYRSIM_NATS_URL: nats().url, TYRSIM_SCENARIO: resolve(scenario), TYRSIM_SEED: String(seed), TYRSIM_GPUS: "all" };
    const services = composeServices();
    const out = join(dir, "run");
    const coordinator = start(process.execPath, ["bin/tyrsim.mjs", "coordinate", scenario, "--seed", String(seed), "--nats", nats().url, "--services", services.map((s) => s.name).join(","), "--out", out, "--no-jetstream", "--json"], {});
    const procs = services.map((s) =>
      s.kind === "memory"
        ? start("python3", ["examples/python-memory/memory_service.py"], { ...env, TYRSIM_SERVICE_NAME: s.name, TYRSIM_RAM_BYTES: String(ram) })
        : start(process.execPath, ["bin/run-ts.mjs", s.entry], { ...env, TYRSIM_SERVICE_NAME: s.name }),
    );
    expect(await coordinator.exited, coordinator.output()).toBe(0);
    const python = procs[services.findIndex((s) => s.kind === "memory")]!;
    expect(await python.exited, python.output()).toBe(0);
    await Promise.all(procs.map((p) => p.exited));
    // then the Python memory service took part, and published what the memory actor publishes
    expect(python.output()).toContain("memory: ready with gpu0.mem (Python, standard library only)");
    const events = readFileSync(join(out, "events.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { source: string; type: string });
    const fromPython = events.filter((e) => e.source === "gpu0.mem").map((e) => e.type);
    expect(fromPython).toEqual(["FaultArmed", "FaultApplied", "MemoryPressureApplied", "MemoryWriteFailed", "FaultApplied", "MemoryPressureApplied"]);
    // and the log is the embedded runtime's, byte for byte
    const embedded = await runEmbedded({ loaded, seed, outDir: join(dir, "embedded") });
    const summary = JSON.parse(coordinator.output().slice(coordinator.output().indexOf("{\n"))) as { digest: string; events: number };
    expect(summary.events).toBe(embedded.events);
    expect(summary.digest).toBe(embedded.digest);
    expect(readFileSync(join(out, "events.jsonl"))).toEqual(readFileSync(embedded.log));
  }, 180_000);
});
