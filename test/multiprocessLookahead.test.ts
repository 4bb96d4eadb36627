import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gpuServices } from "../runtime/multiprocess/composeServices.ts";
import { embeddedDigest, runUp } from "./multiprocessHarness.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

/** Two GPUs, a game client on each: their frames drift apart, so the coordinator runs one GPU ahead of the other. */
function twoGpuFrames(): string {
  const clients = [0, 1].map((g) => `  - { name: game, gpu: ${g}, frames: 3, fps: 60, priority: medium, vertices: 60000, width: 1280, height: 720, framesInFlight: 2 }`);
  const text = ["name: frames-pair", "description: a game client on each of two GPUs", "model: mali-g610-rk3588", "gpus: 2", "duration: 90ms", "steps:", '  - { at: 10us, type: DeviceBindRequested, path: "drv{gpu}.bind", payload: {} }', "workload:", ...clients, ""].join("\n");
  const path = join(mkdtempSync(join(tmpdir(), "tyrsim-pair-")), "frames-pair.yaml");
  writeFileSync(path, text);
  return path;
}

describe("the coordinator's lookahead with real service processes", () => {
  it("rebuilds a service killed while one GPU runs ahead of the log from the log plus the events not logged yet, and ends with the embedded log", async () => {
    // given two GPUs in one process per service kind (each GPU a partition of its own), stepped with lookahead
    const scenario = twoGpuFrames();
    let killedAt: number | undefined;
    // when the driver's process is SIGKILLed late in the frames, when many delivered events wait for the log
    const r = await runUp({
      natsUrl: nats().url,
      scenario,
      seed: 7804,
      onDelivered: (e, services) => {
        if (e.seq !== 1500) return;
        services.get("driver")?.process.child.kill("SIGKILL");
        killedAt = e.seq;
      },
    });
    // then it was restarted and re-joined with events delivered but not logged yet in its resume point
    expect(r.error, r.lines.join("\n")).toBeUndefined();
    expect(killedAt).toBe(1500);
    expect(r.restarts.get("driver")).toBe(1);
    expect(r.lines.some((l) => /coordinator: driver re-joined; it rebuilds from the log's first \d+ events and [1-9]\d* delivered but not logged yet/.test(l)), r.lines.join("\n")).toBe(true);
    // and the log is the undisturbed embedded run's, byte for byte
    const embedded = await embeddedDigest(scenario, 7804);
    expect(r.summary?.events).toBe(embedded.events);
    expect(r.summary?.digest).toBe(embedded.digest);
  }, 300_000);

  it("runs whole GPUs ahead in their own processes in a handful of rounds, survives one being killed, and ends with the embedded log", async () => {
    // given the two GPUs in two whole-GPU processes (every actor of GPU g in gpu-<g>)
    const scenario = twoGpuFrames();
    let killedAt: number | undefined;
    // when gpu-1's process is SIGKILLed in the middle of the frames
    const r = await runUp({
      natsUrl: nats().url,
      scenario,
      seed: 7805,
      services: gpuServices(2, 2),
      onDelivered: (e, services) => {
        if (e.seq !== 1200) return;
        services.get("gpu-1")?.process.child.kill("SIGKILL");
        killedAt = e.seq;
      },
    });
    // then it was restarted and rebuilt, and the run took a few rounds instead of one per level
    expect(r.error, r.lines.join("\n")).toBeUndefined();
    expect(killedAt).toBe(1200);
    expect(r.restarts.get("gpu-1")).toBe(1);
    expect(r.lines.some((l) => l.includes("coordinator: gpu-1 re-joined")), r.lines.join("\n")).toBe(true);
    expect(r.summary?.rounds).toBeLessThan(50);
    // and the log is the embedded run's, byte for byte
    const embedded = await embeddedDigest(scenario, 7805);
    expect(r.summary?.events).toBe(embedded.events);
    expect(r.summary?.digest).toBe(embedded.digest);
  }, 300_000);
});
