import { describe, expect, it } from "vitest";
import { encodeBytes } from "../../services/memory/memoryWrites.ts";
import { powerPaths } from "../../services/power/powerService.ts";
import { PowerOnRequested } from "../../services/power/powerEvents.ts";
import { JobDispatched } from "../../services/shader/shaderEvents.ts";
import { shaderPaths } from "../../services/shader/shaderPaths.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { bindArgs, bootDrmDevice, G610, mapOp } from "../support/drmDevice.ts";

const PG = 4096;
const VA_A = 0x10_0000;
const VA_B = 0x20_0000;
const SECRET = [0x5e, 0xc7, 0xe7, 0x00, 0x11, 0x22, 0x33, 0x44];

/** Two clients, each with a VM made resident and a BO mapped; A's BO holds a secret. Shader cores powered. */
function twoClients() {
  const dev = bootDrmDevice();
  const a = dev.open("a");
  const b = dev.open("b");
  for (const [f, va] of [[a, VA_A], [b, VA_B]] as const) {
    f.ioctl("VM_CREATE");
    f.ioctl("BO_CREATE", { size: PG });
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, va, PG)])).ret).toBe(0);
  }
  const secret = a.mmap(1);
  secret.write(0, SECRET);
  const asA = dev.activate(a.fd, 1).as!;
  const asB = dev.activate(b.fd, 1).as!;
  dev.sim.input("test", PowerOnRequested, powerPaths(0).cmd, { domain: "shader", mask: G610.present.shader_present }, dev.sim.scheduler.nowNs + 1);
  dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + 100_000);
  return { dev, a, b, asA, asB, secret };
}

/** Dispatch a job (the firmware's part, stood in for by the test) and run until it ends. */
function runJob(dev: ReturnType<typeof bootDrmDevice>, job: string, as: number, ranges: { va: number; size: number; access: "read" | "write" }[], writes: { va: number; data: string }[] = []): Envelope {
  dev.sim.input("test", JobDispatched, shaderPaths(0).dispatch, {
    job, as, kind: "compute", coreMask: G610.present.shader_present, cost: { cycles: 30_000 }, ranges, writes,
  }, dev.sim.scheduler.nowNs + 1);
  const end = () => dev.sink.events.find((e) => (e.type === "JobCompleted" || e.type === "JobFaulted") && (e.payload as { job: string }).job === job);
  dev.sim.runUntil(() => end() !== undefined, dev.sim.scheduler.nowNs + 10_000_000);
  dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + 200_000);
  return end()!;
}

describe("a job of one client can never reach another client's memory (the MMU enforces it)", () => {
  it("faults a job on B's AS that reads a VA only A's VM maps; the driver handles the fault and B's VM becomes unusable", () => {
    const { dev, a, b, asA, asB } = twoClients();
    expect([asA, asB]).toEqual([1, 2]);
    // when B's job reads A's VA through B's address space
    const end = runJob(dev, "snoop", asB, [{ va: VA_A, size: PG, access: "read" }]);
    // then the translation faults, the job is lost, and the driver's MMU IRQ handler deals with it
    expect(end.type).toBe("JobFaulted");
    expect(end.payload).toMatchObject({ reason: "mmu-fault", fault: { faultAddress: VA_A, exceptionName: expect.stringMatching(/TRANSLATION/) } });
    expect(dev.events("MmuFaultHandled").map((e) => e.payload)).toEqual([expect.objectContaining({ as: asB, file: b.fd, vmId: 1, faultAddress: VA_A })]);
    expect(b.ioctl("VM_GET_STATE", { vm_id: 1 }).out).toEqual({ state: 1 });
    expect(a.ioctl("VM_GET_STATE", { vm_id: 1 }).out).toEqual({ state: 0 });
    // and A's own job reads its VA fine (the positive control)
    expect(runJob(dev, "own", asA, [{ va: VA_A, size: PG, access: "read" }]).type).toBe("JobCompleted");
  });

  it("sends a write of B's job to A's VA nowhere; at the same VA in B's own VM it lands in B's BO", () => {
    const { dev, a, b, asB, secret } = twoClients();
    // B maps its BO at the VA A uses too
    expect(b.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA_A, PG)])).ret).toBe(0);
    const junk = encodeBytes(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
    expect(runJob(dev, "scribble", asB, [], [{ va: VA_A, data: junk }]).type).toBe("JobCompleted");
    // A's secret is untouched; B's BO got the bytes
    expect([...secret.read(0, 8)]).toEqual(SECRET);
    expect([...b.mmap(1).read(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(a.ioctl("VM_GET_STATE", { vm_id: 1 }).out).toEqual({ state: 0 });
  });

  it("keeps a faulted VM's AS disabled until it is activated again", () => {
    const { dev, b, asB } = twoClients();
    runJob(dev, "snoop", asB, [{ va: VA_A, size: PG, access: "read" }]);
    // B's own VA now faults too: the AS was disabled by the IRQ handler
    expect(runJob(dev, "after", asB, [{ va: VA_B, size: PG, access: "read" }]).type).toBe("JobFaulted");
    // re-activation clears the fault and re-programs the AS
    expect(dev.activate(b.fd, 1).as).toBe(asB);
    expect(dev.state().faultyMask).toBe(0);
    expect(runJob(dev, "again", asB, [{ va: VA_B, size: PG, access: "read" }]).type).toBe("JobCompleted");
  });
});
