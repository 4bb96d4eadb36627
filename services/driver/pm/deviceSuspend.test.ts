import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { GPU_CMD, GPU_CONTROL as R, registerName } from "../../../shared/gpu/registers.ts";
import { KMutex, type KTask } from "../ktask.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { panthorDeviceResume, panthorDeviceSuspend, type DevicePmDeps } from "./deviceSuspend.ts";
import { immediately, type PmDevice } from "./pmHooks.ts";

/**
 * A stand-in kernel for one task: reads answered from a fake GPU whose blocks switch at once,
 * writes, published events and hook calls recorded as one story, clock enables answered (or
 * failed for the clocks in `failing`), waits satisfied at once.
 */
function runKernel<R>(task: KTask<R>, story: string[], gpu: Map<number, number>, failing: ReadonlySet<string> = new Set()): R {
  const power: Record<number, number> = { [R.L2_PWRON_LO]: R.L2_READY_LO, [R.SHADER_PWRON_LO]: R.SHADER_READY_LO, [R.TILER_PWRON_LO]: R.TILER_READY_LO };
  const off: Record<number, number> = { [R.L2_PWROFF_LO]: R.L2_READY_LO, [R.SHADER_PWROFF_LO]: R.SHADER_READY_LO, [R.TILER_PWROFF_LO]: R.TILER_READY_LO };
  let now = 0;
  let lastClock = "";
  let value: unknown;
  for (;;) {
    const step = task.next(value);
    if (step.done === true) return step.value;
    const op = step.value;
    value = undefined;
    switch (op.op) {
      case "write":
        story.push(`${registerName(op.offset)}=0x${op.value.toString(16)}`);
        if (power[op.offset] !== undefined) gpu.set(power[op.offset]!, (gpu.get(power[op.offset]!) ?? 0) | op.value);
        if (off[op.offset] !== undefined) gpu.set(off[op.offset]!, (gpu.get(off[op.offset]!) ?? 0) & ~op.value);
        if (op.offset === R.GPU_CMD) for (const r of Object.values(power)) gpu.set(r, 0);
        if (op.offset === R.GPU_CMD) gpu.set(R.GPU_INT_RAWSTAT, 0x100); // RESET_COMPLETED
        break;
      case "read":
        value = gpu.get(op.offset) ?? 0;
        break;
      case "sleep":
        now += op.ns;
        break;
      case "now":
        value = now;
        break;
      case "publish": {
        const p = op.payload as { clock?: string };
        if (p.clock !== undefined) lastClock = p.clock;
        story.push(`${op.def.type}(${p.clock ?? ""})`);
        break;
      }
      case "wait": {
        const answer = failing.has(lastClock) ? { type: "ClockEnableFailed", payload: { name: lastClock, errno: -5 } } : { type: "ClockStateChanged", payload: { clock: lastClock, enabled: true } };
        value = op.match(answer as unknown as Envelope);
        break;
      }
      case "until":
        value = op.cond();
        break;
      default:
        break;
    }
  }
}

/** Hooks that log their calls; the firmware halts and restarts as told. */
function hooks(story: string[], fw: { halts: boolean; resumes: number[] }): PmDevice {
  return {
    isIdle: () => true,
    schedSuspend: () => (story.push("sched_suspend"), immediately(undefined)),
    fwSuspend: () => (story.push("fw_suspend"), immediately(fw.halts)),
    fwResume: (fast: boolean) => (story.push(`fw_resume(${fast ? "fast" : "slow"})`), immediately(fw.resumes.shift() ?? 0)),
    schedResume: () => (story.push("sched_resume"), immediately(undefined)),
  };
}

/** A device with AS1 holding a VM, and a G610's clocks. */
function deps(story: string[], fw: { halts: boolean; resumes: number[] }): DevicePmDeps {
  const vm = { as: 1 as number | undefined, asActiveCnt: 0, file: 1, id: 1 };
  const mm = { mmLock: new KMutex("mmu"), asSlots: new Map([[1, vm]]), asLru: [vm], faultyMask: 0x2, dev: { gpu: 0, info: { as_present: 0xff } } } as unknown as DriverState;
  return {
    gpu: 0, clocks: ["core", "stacks", "coregroup"], l2Present: 1, coherency: 31, mm,
    device: () => hooks(story, fw),
    devfreqSuspend: () => (story.push("devfreq_suspend"), immediately(undefined)),
    devfreqResume: () => (story.push("devfreq_resume"), immediately(undefined)),
  };
}

const SOFT_RESET = `GPU_CMD=0x${GPU_CMD.SOFT_RESET.toString(16)}`;

/** The story without AS bank writes (panthor_mmu_as_disable's six register writes and UPDATE). */
const brief = (story: string[]) => story.filter((s) => !/^AS1\.(TRANSTAB|MEMATTR|TRANSCFG)/.test(s));

describe("panthor_device_suspend and panthor_device_resume", () => {
  it("suspends sched, firmware, MMU, cores then L2, devfreq and the clocks in panthor's order, and resumes in reverse", () => {
    // given a powered GPU: L2 and the four cores on, GPU IRQ mask set by the driver
    const gpu = new Map([[R.L2_READY_LO, 1], [R.SHADER_READY_LO, 0x50005], [R.GPU_INT_MASK, 0x701]]);
    const story: string[] = [];
    const d = deps(story, { halts: true, resumes: [] });
    // when it suspends
    const saved = runKernel(panthorDeviceSuspend(d), story, gpu);
    // then
    expect(brief(story)).toEqual([
      "sched_suspend", "fw_suspend",
      "AS1.COMMAND=0x1", "VmAsReleased()", "MMU_INT_MASK=0x0",
      "SHADER_PWROFF_LO=0x50005", "L2_PWROFF_LO=0x1", "GPU_INT_MASK=0x0",
      "devfreq_suspend",
      "ClockDisableRequested(coregroup)", "ClockDisableRequested(stacks)", "ClockDisableRequested(core)",
    ]);
    expect(saved).toEqual({ fast: true, gpu: { gpuIntMask: 0x701, shaderReady: 0x50005, tilerReady: 0 } });
    expect(d.mm.asSlots.size).toBe(0);
    expect(d.mm.asLru).toEqual([]);
    // when it resumes
    story.length = 0;
    expect(runKernel(panthorDeviceResume(d, saved), story, gpu)).toEqual({ errno: 0 });
    expect(story).toEqual([
      "ClockEnableRequested(core)", "ClockEnableRequested(stacks)", "ClockEnableRequested(coregroup)",
      "devfreq_resume",
      "GPU_INT_CLEAR=0x701", "GPU_INT_MASK=0x701", "GPU_COHERENCY_PROTOCOL=0x1f", "L2_PWRON_LO=0x1", "SHADER_PWRON_LO=0x50005",
      "MMU_INT_CLEAR=0xff", "MMU_INT_MASK=0xff",
      "fw_resume(fast)", "sched_resume",
    ]);
    expect(d.mm.faultyMask).toBe(0);
  });

  it("soft-resets the GPU instead of powering L2 down when the firmware did not halt", () => {
    const gpu = new Map([[R.L2_READY_LO, 1]]);
    const story: string[] = [];
    const saved = runKernel(panthorDeviceSuspend(deps(story, { halts: false, resumes: [] })), story, gpu);
    expect(saved.fast).toBe(false);
    expect(brief(story).filter((s) => s.startsWith("GPU_") || s.startsWith("L2_"))).toEqual([
      "GPU_INT_CLEAR=0x100", SOFT_RESET, "GPU_INT_CLEAR=0x100", "GPU_INT_MASK=0x0",
    ]);
  });

  it("retries a failed fast firmware resume once as a slow one, then gives up with the clocks gated", () => {
    const gpu = new Map<number, number>();
    const story: string[] = [];
    const d = deps(story, { halts: true, resumes: [-110, -110] });
    const out = runKernel(panthorDeviceResume(d, { fast: true, gpu: { gpuIntMask: 0, shaderReady: 0, tilerReady: 0 } }), story, gpu);
    expect(out).toEqual({ errno: -110, step: "firmware" });
    const steps = story.filter((s) => /^(fw_|sched_|devfreq_|GPU_CMD|Clock)/.test(s));
    expect(steps).toEqual([
      "ClockEnableRequested(core)", "ClockEnableRequested(stacks)", "ClockEnableRequested(coregroup)", "devfreq_resume",
      "fw_resume(fast)", SOFT_RESET, "fw_resume(slow)", SOFT_RESET,
      "devfreq_suspend", "ClockDisableRequested(coregroup)", "ClockDisableRequested(stacks)", "ClockDisableRequested(core)",
    ]);
  });

  it("fails with the clock's errno and gates the clocks it had enabled when one will not start", () => {
    const story: string[] = [];
    const out = runKernel(panthorDeviceResume(deps(story, { halts: true, resumes: [] }), { fast: true, gpu: { gpuIntMask: 0, shaderReady: 0, tilerReady: 0 } }), story, new Map(), new Set(["stacks"]));
    expect(out).toEqual({ errno: -5, step: "clocks" });
    expect(story).toEqual(["ClockEnableRequested(core)", "ClockEnableRequested(stacks)", "ClockDisableRequested(core)"]);
  });
});
