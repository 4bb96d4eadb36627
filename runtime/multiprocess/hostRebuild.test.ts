import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { headerOf, runEmbedded, runIdOf } from "../embeddedRun.ts";
import { Coordinator, type RemoteService } from "./coordinator.ts";
import { HostRebuild } from "./hostRebuild.ts";
import { buildServiceHost } from "./inProcessServices.ts";
import { SERVICE_KINDS, type ServiceKind } from "./partition.ts";
import { handleLevel } from "./serviceHostLink.ts";

/**
 * The coordinator over in-process services, one of which is replaced, at its first request at or
 * after `atNs`, by a fresh host rebuilt from the log delivered so far — a crash and restart
 * without the processes.
 */
async function runReplacing(file: string, seed: number, kind: ServiceKind, atNs: number) {
  const loaded = loadScenarioFile(file, createCatalogue());
  const run = runIdOf(loaded.scenario, seed);
  const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-rebuild-")), "events.jsonl"));
  sink.writeHeader(headerOf(loaded, seed));
  const log: Envelope[] = [];
  const ref: { coordinator?: Coordinator } = {};
  let rebuilt: { events: number; divergence?: unknown; atSeq: number } | undefined;
  const services: RemoteService[] = [];
  for (const k of SERVICE_KINDS) {
    const built = buildServiceHost(run, seed, loaded.scenario, k, new Set([0]));
    if (built.owned.length === 0) continue;
    let host: ActorHost = built.host;
    services.push({
      name: k,
      patterns: host.subscribedPatterns(),
      nextTimer: host.nextTimerKey() ?? null,
      exchange: (req) => {
        if (k === kind && rebuilt === undefined && req.level.timeNs >= atNs) {
          // the process dies; its successor rebuilds from the log up to where the coordinator is
          const fresh = buildServiceHost(run, seed, loaded.scenario, k, new Set([0]));
          const resume = (ref.coordinator as Coordinator).resumePoint();
          const rebuild = new HostRebuild(fresh.host, fresh.owned);
          for (const e of log) if (e.seq < resume.beforeSeq) rebuild.feed(e);
          rebuilt = { ...rebuild.finish(resume.through), atSeq: resume.beforeSeq };
          host = fresh.host;
        }
        return Promise.resolve(handleLevel(host, req));
      },
    });
  }
  const coordinator = (ref.coordinator = new Coordinator({ run, sink, services, onDelivered: (e) => log.push(e) }));
  coordinator.queueSteps(loaded.scenario);
  await coordinator.run(loaded.scenario.duration);
  await sink.close();
  const embedded = await runEmbedded({ loaded, seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
  return { digest: sink.digest.hex(), embedded: embedded.digest, rebuilt };
}

describe("a service host rebuilt from the log", () => {
  it.each([
    ["driver", "scenarios/probe.yaml", 1_000_000],
    ["mmu", "scenarios/probe.yaml", 1_115_000],
    ["firmware", "scenarios/submit.yaml", 3_000_000],
  ] as const)("takes over the %s service mid-run (%s) and the run's log stays the embedded one's", async (kind, file, atNs) => {
    const r = await runReplacing(file, 4, kind, atNs);
    // then the rebuild replayed a real prefix of the log, reproduced its actors' own events, and nothing downstream changed
    expect(r.rebuilt).toBeDefined();
    expect(r.rebuilt?.events).toBeGreaterThan(10);
    expect(r.rebuilt?.divergence).toBeUndefined();
    expect(r.digest).toBe(r.embedded);
  });

  it("reports a log its actors do not reproduce instead of trusting it", () => {
    // given a driver host and a log whose driver event was tampered with
    const loaded = loadScenarioFile("scenarios/probe.yaml", createCatalogue());
    const fresh = buildServiceHost("probe-9", 9, loaded.scenario, "driver", new Set([0]));
    const rebuild = new HostRebuild(fresh.host, fresh.owned);
    const input = { id: "scenario:0", run: "probe-9", seq: 0, timeNs: 10_000, depth: 0, source: "scenario", subject: "tyrsim.probe-9.drv0.bind", type: "DeviceBindRequested", cause: null, payload: {} };
    rebuild.feed(input as Envelope);
    const forged = { id: "drv0:0", run: "probe-9", seq: 1, timeNs: 10_000, depth: 1, source: "drv0", subject: "tyrsim.probe-9.gpu0.pwr.cmd", type: "ClockEnableRequested", cause: "scenario:0", payload: { name: "not-a-clock" } };
    rebuild.feed(forged as Envelope);
    // then the rebuild names the event and both versions
    const d = rebuild.finish(null).divergence;
    expect(d?.id).toBe("drv0:0");
    expect(d?.expected).toContain("not-a-clock");
    expect(d?.actual).not.toContain("not-a-clock");
  });
});
