import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { auditLogFile } from "../runtime/audit/audit.ts";
import type { AuditReport } from "../runtime/audit/auditReport.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { ERRNO } from "../shared/gpu/errno.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

type Answer = { file: number; tag: string; ret: number; out?: Record<string, unknown>; data?: string };

let events: Envelope[] = [];
let log = "";
/** The answer to the ioctl or CPU access tagged `tag` (one per tag in this scenario). */
const answer = (tag: string): Answer => {
  const hits = events.filter((e) => (e.type === "IoctlCompleted" || e.type === "BoCpuAccessCompleted") && (e.payload as Answer).tag === tag);
  expect(hits.length, tag).toBe(1);
  return hits[0]!.payload as Answer;
};
const bytes = (b64: string | undefined) => [...Buffer.from(b64 ?? "", "base64")];

beforeAll(async () => {
  const loaded = loadScenarioFile("scenarios/multi-client-isolation.yaml", createCatalogue());
  const s = await runEmbedded({ loaded, outDir: mkdtempSync(join(tmpdir(), "tyrsim-mci-")) });
  expect([s.actorFailures, s.rejected]).toEqual([0, 0]);
  log = s.log;
  events = readFileSync(s.log, "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as Envelope);
}, 60_000);

describe("scenarios/multi-client-isolation.yaml", () => {
  it("gives each client its own numbering: A holds VM 2, BO 3, group 2 and syncobj 3 that B does not", () => {
    expect(answer("a-vm2").out).toMatchObject({ id: 2 });
    expect(answer("a-private").out).toMatchObject({ handle: 3 });
    expect(answer("a-group2").out).toEqual({ group_handle: 2 });
    expect(answer("a-sync3").out).toEqual({ handle: 3 });
    expect([answer("b-vm1").out?.["id"], answer("b-target").out?.["handle"], answer("b-group1").out?.["group_handle"], answer("b-sync1").out?.["handle"]]).toEqual([1, 2, 1, 1]);
  });

  it("refuses every reach of B into A's objects with panthor's errno", () => {
    const expected: Record<string, keyof typeof ERRNO> = {
      "b-bo-offset": "ENOENT", "b-bo-bind": "EINVAL", "b-bo-close": "EINVAL",
      "b-vm-state": "EINVAL", "b-vm-bind": "EINVAL", "b-vm-destroy": "EINVAL",
      "b-group-state": "EINVAL", "b-group-submit": "EINVAL", "b-group-destroy": "EINVAL",
      "b-sync-wait": "ENOENT", "b-sync-destroy": "EINVAL",
      "b-mmap-a": "EACCES", "b-read-a": "EFAULT",
    };
    for (const [tag, errno] of Object.entries(expected)) {
      const a = answer(tag);
      expect([tag, a.file, a.ret]).toEqual([tag, 2, -ERRNO[errno]]);
    }
  });

  it("leaves A's objects intact after B's attempts: A's private BO still holds its secret", () => {
    expect(Buffer.from(bytes(answer("a-readback").data)).toString()).toBe("A-secret");
    expect(events.some((e) => e.type === "GroupDestroyed" && (e.payload as { file: number }).file === 1)).toBe(false);
  });

  it("faults A's job in A's address space and makes A's VM unusable and its group fatal", () => {
    const fault = events.filter((e) => e.type === "MmuFaultHandled").map((e) => e.payload as { file: number; vmId: number; faultAddress: number; exceptionName: string });
    expect(fault).toEqual([expect.objectContaining({ file: 1, vmId: 1, faultAddress: 0x400000, exceptionName: expect.stringMatching(/^TRANSLATION_FAULT/) })]);
    const aFences = events.filter((e) => e.type === "JobFenceSignalled" && (e.payload as { file: number }).file === 1).map((e) => (e.payload as { error: number }).error);
    expect(aFences).toEqual([-ERRNO.EINVAL]);
    expect(answer("a-vm-state")).toMatchObject({ ret: 0, out: { state: 1 } });
    expect(answer("a-group-state")).toMatchObject({ ret: 0, out: { state: 2, fatal_queues: 1 } });
  });

  it("runs B's jobs before and after A's fault to completion, with their stores in B's BO", () => {
    const bFences = events.filter((e) => e.type === "JobFenceSignalled" && (e.payload as { file: number }).file === 2);
    expect(bFences.map((e) => (e.payload as { error: number }).error)).toEqual([0, 0]);
    const faultAt = events.find((e) => e.type === "MmuFaultHandled")!.timeNs;
    expect(bFences[0]!.timeNs).toBeLessThan(faultAt);
    expect(bFences[1]!.timeNs).toBeGreaterThan(faultAt);
    expect(answer("b-wait").ret).toBe(0);
    expect(answer("b-vm-state-own")).toMatchObject({ ret: 0, out: { state: 0 } });
    expect(answer("b-group-state-own")).toMatchObject({ ret: 0, out: { state: 0, fatal_queues: 0 } });
    // 0xbbbb0001 then 0xbbbb0002, little-endian, read through B's own mapping
    expect(bytes(answer("b-readback").data)).toEqual([0x01, 0x00, 0xbb, 0xbb, 0x02, 0x00, 0xbb, 0xbb]);
  });

  it("audits with no broken invariant (handles stay in their file) and A's MMU fault among the failures", () => {
    const report: AuditReport = auditLogFile(log);
    expect(report.invariants.violations).toEqual([]);
    expect(report.invariants.checked.map((i) => i.name)).toContain("handles-stay-in-file");
    expect(report.failures.some((f) => f.kind === "mmu-fault")).toBe(true);
  });
});
