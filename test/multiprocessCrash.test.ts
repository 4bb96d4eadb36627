import { describe, expect, it } from "vitest";
import { embeddedDigest, runUp } from "./multiprocessHarness.ts";
import { privateNatsServer } from "./support/privateNats.ts";

const nats = privateNatsServer();

describe("a service process killed in the middle of a multi-process run", () => {
  it.each([
    // the MMU before the firmware's translations and the MCU VM's AS command; the driver in the middle of its probe
    ["mmu", 100, 7801],
    ["driver", 90, 7802],
  ])("restarts %s (SIGKILL at event %i), rebuilds it from the JetStream log, and ends with the undisturbed run's digest", async (service, atEvent, seed) => {
    // given the probe scenario under `tyrsim up`'s supervisor (restart: on-failure)
    let killedAt: number | undefined;
    // when the service's process is SIGKILLed as event #atEvent is delivered
    const r = await runUp({
      natsUrl: nats().url,
      scenario: "scenarios/probe.yaml",
      seed,
      onDelivered: (e, services) => {
        if (e.seq !== atEvent) return;
        services.get(service)?.process.child.kill("SIGKILL");
        killedAt = e.seq;
      },
    });
    // then the supervisor restarted it, it re-joined and rebuilt from the log so far
    expect(r.error, r.lines.join("\n")).toBeUndefined();
    expect(killedAt).toBe(atEvent);
    expect(r.restarts.get(service)).toBe(1);
    expect(r.lines.some((l) => l.includes(`${service} killed by SIGKILL; restarting it`))).toBe(true);
    expect(r.lines.some((l) => l.includes(`coordinator: ${service} re-joined`))).toBe(true);
    expect(r.lines.some((l) => /rebuilt from [1-9]\d* events/.test(l))).toBe(true);
    // and the log is the undisturbed run's, byte for byte
    const embedded = await embeddedDigest("scenarios/probe.yaml", seed);
    expect(r.summary?.events).toBe(embedded.events);
    expect(r.summary?.digest).toBe(embedded.digest);
  }, 240_000);
});

describe("a service that stays dead", () => {
  it("stops virtual time, says which service it waits for and since when, and gives the run up after the grace period", async () => {
    // given a run whose services are not restarted, and a grace period of 3 s
    const r = await runUp({
      natsUrl: nats().url,
      scenario: "scenarios/probe.yaml",
      seed: 7803,
      restart: "no",
      graceMs: 3000,
      // when the MMU's process dies early in the run
      onDelivered: (e, services) => {
        if (e.seq === 100) services.get("mmu")?.process.child.kill("SIGKILL");
      },
    });
    // then the run ends in an error naming the MMU service and the virtual time it holds up
    expect(r.summary).toBeUndefined();
    expect(r.error?.name).toBe("ServiceLostError");
    expect(r.error?.message).toMatch(/virtual time stopped at \d+ ns: waited \d+\.\d s for service mmu/);
    // and meanwhile it said so, with how long it had been waiting
    expect(r.lines.some((l) => /coordinator: virtual time stopped at \d+ ns: waiting for service mmu since \d+\.\d s/.test(l))).toBe(true);
    expect(r.lines.some((l) => l.includes("mmu killed by SIGKILL; not restarted (restart: no)"))).toBe(true);
  }, 240_000);
});
