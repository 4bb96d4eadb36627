import type { GpuModel } from "../../shared/gpu/model.ts";
import { CS, CSG, CSG_EP_REQ, GLB, acknowledgeEvents, csConfig, toggleReqs, updateReqs } from "../../services/firmware/index.ts";
import { JOB_INT_GLOBAL_IF } from "../../shared/gpu/registers.ts";
import type { DiscoveredInterfaces } from "../../services/firmware/interfaceDiscovery.ts";
import { CSG_INPUT, CSG_OUTPUT, CS_INPUT, CS_OUTPUT, GLB_INPUT, GLB_OUTPUT } from "../../services/firmware/interfaces.ts";
import type { Steps } from "./gpuBringUp.ts";
import { MS, handleJobIrq, ringDoorbell, waitAcks, type SharedMapping } from "./firmwareDriver.ts";

/** GLB init values panthor writes (panthor.md §3.4) for a 24 MHz system counter. */
export const PANTHOR_GLB = {
  /** conv(10 000 µs) = 10 000 × 24 MHz / (1e6 × 1024). */
  poweroffTimer: 234,
  /** (5 × 500 × 1024 × 1024) >> 10. */
  progressTimer: 2_560_000,
  /** conv(800 µs). */
  idleTimer: 18,
  ackIrqMask: (GLB.CFG_ALLOC_EN | GLB.PING | GLB.CFG_PROGRESS_TIMER | GLB.CFG_POWEROFF_TIMER | GLB.IDLE_EN | GLB.IDLE) >>> 0,
} as const;

/** A queue's CS programming (`cs_slot_prog_locked()`). */
export interface QueueProgram {
  readonly ringVa: number;
  readonly ringSize: number;
  /** MCU VAs of the queue's user input/output pages. */
  readonly inputVa: number;
  readonly outputVa: number;
  readonly priority: number;
}

/** A group's CSG programming (`csg_slot_prog_locked()`). */
export interface GroupProgram {
  readonly as: number;
  readonly priority: number;
  readonly cores: number;
}

/**
 * The host side of the firmware interfaces over a CPU mapping of the shared section, as
 * panthor's `panthor_fw_*` helpers drive them: read `ack`, update or toggle `req`, ring a
 * doorbell, wait for the acknowledge, and the job IRQ handler that acknowledges firmware events
 * (`panthor_sched_report_fw_events()` and the CSG/CS event processing, done at once here).
 * Every JOB_INT status it handles is appended to `seen`; `ackEvents` false leaves events pending.
 */
export class FwHost {
  readonly seen: number[] = [];
  ackEvents = true;

  constructor(
    readonly map: SharedMapping,
    readonly ifaces: DiscoveredInterfaces,
  ) {}

  get glb() {
    return this.ifaces.glb;
  }

  csg(i: number) {
    return this.ifaces.csg[i]!;
  }

  glbReq = (): number => this.map.read32(this.glb.input + GLB_INPUT.offsets.req);
  glbAck = (): number => this.map.read32(this.glb.output + GLB_OUTPUT.offsets.ack);
  csgReq = (i: number): number => this.map.read32(this.csg(i).input + CSG_INPUT.offsets.req);
  csgAck = (i: number): number => this.map.read32(this.csg(i).output + CSG_OUTPUT.offsets.ack);
  csReq = (i: number, j: number): number => this.map.read32(this.csg(i).cs[j]!.input + CS_INPUT.offsets.req);
  csAck = (i: number, j: number): number => this.map.read32(this.csg(i).cs[j]!.output + CS_OUTPUT.offsets.ack);

  /** A 32-bit field of the CS output block. */
  csOut(i: number, j: number, field: keyof typeof CS_OUTPUT.offsets): number {
    return this.map.read32(this.csg(i).cs[j]!.output + CS_OUTPUT.offsets[field]);
  }

  /** The job IRQ: read and clear JOB_INT_STAT, acknowledge GLB, CSG and CS events the bits announce. */
  *serviceIrq(): Steps<number> {
    const stat = yield* handleJobIrq(this.seen);
    if (stat === 0 || !this.ackEvents) return stat;
    if (stat & JOB_INT_GLOBAL_IF) {
      const req = acknowledgeEvents(this.glbReq(), this.glbAck(), GLB.EVT_MASK);
      if (req !== this.glbReq()) yield* this.map.write32(this.glb.input + GLB_INPUT.offsets.req, req);
    }
    for (let i = 0; i < this.ifaces.csg.length; i++) {
      if ((stat & (1 << i)) === 0) continue;
      const req = acknowledgeEvents(this.csgReq(i), this.csgAck(i), CSG.EVT_MASK);
      if (req !== this.csgReq(i)) yield* this.map.write32(this.csg(i).input + CSG_INPUT.offsets.req, req);
      const irqReq = this.map.read32(this.csg(i).output + CSG_OUTPUT.offsets.cs_irq_req);
      yield* this.map.write32(this.csg(i).input + CSG_INPUT.offsets.cs_irq_ack, irqReq);
    }
    return stat;
  }

  /** Wait (servicing IRQs) until `done()`, at most `timeoutNs`. */
  *waitUntil(done: () => boolean, timeoutNs = 100 * MS): Steps<boolean> {
    return yield* waitAcks(done, () => this.serviceIrq(), timeoutNs);
  }

  /** Toggle GLB request bits, ring the global doorbell and wait for the acks. */
  *glbToggle(mask: number, wait = true): Steps<boolean> {
    yield* this.map.write32(this.glb.input + GLB_INPUT.offsets.req, toggleReqs(this.glbReq(), this.glbAck(), mask));
    yield* ringDoorbell(0);
    return wait ? yield* this.waitUntil(() => ((this.glbReq() ^ this.glbAck()) & mask) === 0) : true;
  }

  /** `panthor_fw_init_global_iface()`: timers, core mask, IRQ mask, IDLE_EN, the CFG toggles; doorbell 0; wait. */
  *initGlobal(model: GpuModel): Steps<boolean> {
    const o = GLB_INPUT.offsets;
    const w = (off: number, v: number) => this.map.write32(this.glb.input + off, v);
    yield* w(o.core_en_mask, model.present.shader_present);
    yield* w(o.poweroff_timer, PANTHOR_GLB.poweroffTimer);
    yield* w(o.progress_timer, PANTHOR_GLB.progressTimer);
    yield* w(o.idle_timer, PANTHOR_GLB.idleTimer);
    yield* w(o.ack_irq_mask, PANTHOR_GLB.ackIrqMask);
    const toggles = (GLB.CFG_ALLOC_EN | GLB.CFG_POWEROFF_TIMER | GLB.CFG_PROGRESS_TIMER) >>> 0;
    const req = toggleReqs(updateReqs(this.glbReq(), GLB.IDLE_EN, GLB.IDLE_EN), this.glbAck(), toggles);
    yield* w(o.req, req);
    yield* ringDoorbell(0);
    const mask = (toggles | GLB.IDLE_EN) >>> 0;
    return yield* this.waitUntil(() => ((this.glbReq() ^ this.glbAck()) & mask) === 0);
  }

  /** Program CS `j` of CSG `i` and request START (`cs_slot_prog_locked()`); no doorbell. */
  *programCs(i: number, j: number, q: QueueProgram, doorbell = i + 1): Steps {
    const cs = this.csg(i).cs[j]!;
    const o = CS_INPUT.offsets;
    const w = (off: number, v: number) => this.map.write32(cs.input + off, v);
    yield* w(o.ringbuf_base, q.ringVa % 2 ** 32);
    yield* w(o.ringbuf_base + 4, Math.floor(q.ringVa / 2 ** 32));
    yield* w(o.ringbuf_size, q.ringSize);
    yield* w(o.ringbuf_input, q.inputVa);
    yield* w(o.ringbuf_output, q.outputVa);
    yield* w(o.config, csConfig(q.priority, doorbell));
    yield* w(o.ack_irq_mask, 0xffff_ffff);
    const bits = (CS.STATE_MASK | CS.IDLE_SYNC_WAIT | CS.IDLE_EMPTY) >>> 0;
    yield* w(o.req, updateReqs(this.csReq(i, j), CS.STATE_START | CS.IDLE_SYNC_WAIT | CS.IDLE_EMPTY, bits));
  }

  /** Program CSG `i` and request `state` with an ENDPOINT_CONFIG toggle (`csg_slot_prog_locked()`); no doorbell. */
  *programCsg(i: number, g: GroupProgram, state: number = CSG.STATE_START): Steps {
    const o = CSG_INPUT.offsets;
    const w = (off: number, v: number) => this.map.write32(this.csg(i).input + off, v);
    yield* w(o.allow_compute, g.cores);
    yield* w(o.allow_fragment, g.cores);
    yield* w(o.allow_other, 1);
    yield* w(o.endpoint_req, (4 | (4 << CSG_EP_REQ.FRAGMENT_SHIFT) | (1 << CSG_EP_REQ.TILER_SHIFT) | (g.priority << CSG_EP_REQ.PRIORITY_SHIFT)) >>> 0);
    yield* w(o.config, g.as);
    yield* w(o.ack_irq_mask, 0xffff_ffff);
    yield* this.csgRequest(i, state);
  }

  /** Write CSG_REQ.STATE = `state` and toggle ENDPOINT_CONFIG (no doorbell). */
  *csgRequest(i: number, state: number, toggles: number = CSG.ENDPOINT_CONFIG): Steps {
    const req = toggleReqs(updateReqs(this.csgReq(i), state, CSG.STATE_MASK), this.csgAck(i), toggles);
    yield* this.map.write32(this.csg(i).input + CSG_INPUT.offsets.req, req);
  }

  /** `panthor_fw_ring_csg_doorbells()`: toggle the CSGs' bits in GLB doorbell_req, ring doorbell 0. */
  *ringCsgDoorbells(mask: number): Steps {
    const reqVa = this.glb.input + GLB_INPUT.offsets.doorbell_req;
    const ack = this.map.read32(this.glb.output + GLB_OUTPUT.offsets.doorbell_ack);
    yield* this.map.write32(reqVa, toggleReqs(this.map.read32(reqVa), ack, mask));
    yield* ringDoorbell(0);
  }

  /** Wait until CSG `i` acknowledged every request bit in `mask`. */
  *csgWait(i: number, mask: number = CSG.REQ_MASK): Steps<boolean> {
    return yield* this.waitUntil(() => ((this.csgReq(i) ^ this.csgAck(i)) & mask) === 0);
  }
}
