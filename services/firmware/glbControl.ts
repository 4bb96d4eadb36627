import { sendChecked } from "../../shared/actor/xstateHost.ts";
import { JOB_INT_GLOBAL_IF } from "../../shared/gpu/registerFields.ts";
import { processCsg, queueDoorbell, runningSlot } from "./csgControl.ts";
import type { Firmware } from "./firmware.ts";
import { GlbEventRaised, GlbRequestsAcked, GlbRequestsIgnored } from "./firmwareEvents.ts";
import { glbRequestNames, glbTimerNs, planGlbAcks, progressTimerNs } from "./glbRequests.ts";
import { GLB, GLB_TIMER } from "./interfaceBits.ts";
import { encodeGlbOutput } from "./interfaceIo.ts";
import { GLB_INPUT } from "./interfaces.ts";
import { acknowledge, raiseEvents, requestsPending } from "./reqAck.ts";

/**
 * The global interface as the firmware serves it (panthor.md §3.3–3.4; the host side is
 * `panthor_fw_init_global_iface()`, `panthor_fw_glb_wait_acks()`, `panthor_fw_ping_work()`):
 * on the global doorbell, read the GLB input block, apply and acknowledge every pending request
 * the model supports (`glbRequests.ts`), answer the CSG doorbell requests toggled in
 * `doorbell_req`, and raise GLOBAL_IF when an acknowledged bit is in `ack_irq_mask`. Also the
 * GLB IDLE event.
 */

/** The GLB input block as the host last wrote it; undefined when the shared region does not translate. */
function readGlbInput(f: Firmware) {
  return f.image === null ? undefined : f.fw.readInput(f.image.layout.glb.input, GLB_INPUT);
}

/** Write the firmware's GLB output block (ack, doorbell_ack, halt_status). */
export function writeGlbOutput(f: Firmware): void {
  if (f.image !== null) f.fw.writeBlock(f.image.layout.glb.output, encodeGlbOutput(f.glb.out));
}

/** One doorbell pass: the global interface first, then the queue doorbells in order. */
export function handleDoorbells(f: Firmware, doorbells: readonly number[], ignorePings: boolean): void {
  if (!f.running || f.image === null) return;
  for (const d of doorbells) {
    if (d === 0) processGlb(f, ignorePings);
    else queueDoorbell(f, d);
  }
  f.executor.kick();
}

/** Serve the global interface (see the module comment). */
export function processGlb(f: Firmware, ignorePings: boolean): void {
  const input = readGlbInput(f);
  if (input === undefined) return;
  const glb = f.glb;
  const plan = planGlbAcks(input.req, glb.out.ack, input.ack_irq_mask, { ignorePing: ignorePings });
  const cfg = f.fw.config;
  if (plan.acked & GLB.CFG_ALLOC_EN) glb.coreEnMask = (input.core_en_mask % 2 ** 32) >>> 0;
  if (plan.acked & GLB.CFG_PROGRESS_TIMER) glb.progressNs = progressTimerNs(input.progress_timer, cfg.gpuHz);
  if (plan.acked & GLB.CFG_POWEROFF_TIMER) glb.poweroffNs = glbTimerNs(input.poweroff_timer, cfg);
  if (plan.acked & GLB.IDLE_EN) {
    glb.idleEnabled = (input.req & GLB.IDLE_EN) !== 0;
    glb.idleNs = (input.idle_timer & GLB_TIMER.VAL_MASK) === 0 ? cfg.timing.defaultIdleNs : glbTimerNs(input.idle_timer, cfg);
  }
  glb.out.ack = plan.ack;
  if (plan.acked !== 0) f.fw.fact(GlbRequestsAcked, f.fw.paths.glb, { requests: glbRequestNames(plan.acked), ack: plan.ack, irq: plan.irq });
  const ignored = (plan.unsupported | (plan.pingIgnored ? GLB.PING : 0)) >>> 0;
  const fresh = (ignored & ~glb.reportedIgnored) >>> 0;
  glb.reportedIgnored = ignored;
  if (fresh & plan.unsupported) f.fw.fact(GlbRequestsIgnored, f.fw.paths.glb, { requests: glbRequestNames(fresh & plan.unsupported), reason: "unsupported" });
  if (fresh & GLB.PING) {
    f.faults?.pingIgnored();
    f.fw.fact(GlbRequestsIgnored, f.fw.paths.glb, { requests: ["PING"], reason: "ping-ignored" });
  }

  const groups = f.slots.length >= 31 ? 0x7fff_ffff : 2 ** f.slots.length - 1;
  const rung = requestsPending(input.doorbell_req, glb.out.doorbellAck, groups);
  glb.out.doorbellAck = acknowledge(input.doorbell_req, glb.out.doorbellAck, groups);
  writeGlbOutput(f);
  if (plan.irq) f.fw.raiseIrq(JOB_INT_GLOBAL_IF);
  for (const slot of f.slots) if (rung & (1 << slot.index)) processCsg(f, slot);
  if (plan.halt) sendChecked(f.mcu, { type: "HALT" });
}

/**
 * GLB IDLE (GLB_ACK bit 26): raised once every resident CSG has reported idle, when the host
 * enabled it (GLB_REQ.IDLE_EN) — `panthor_sched` then ticks and may power the GPU down. Raised
 * once per idle period; a CSG getting work again re-arms it.
 */
export function maybeRaiseGlbIdle(f: Firmware): void {
  const glb = f.glb;
  if (!glb.idleEnabled || glb.idleRaised) return;
  if (!f.slots.every((s) => s.idleReported || !runningSlot(s))) return;
  const input = readGlbInput(f);
  if (input === undefined) return;
  glb.idleRaised = true;
  glb.out.ack = raiseEvents(input.req, glb.out.ack, GLB.IDLE);
  writeGlbOutput(f);
  f.fw.fact(GlbEventRaised, f.fw.paths.glb, { event: "IDLE" });
  if (input.ack_irq_mask & GLB.IDLE) f.fw.raiseIrq(JOB_INT_GLOBAL_IF);
}
