import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { hostMachine, type HostedMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { EXCEPTION, exceptionName } from "../../shared/gpu/exceptions.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_COMMAND, encodeAsFaultStatus } from "../../shared/gpu/registerFields.ts";
import { GpuSoftResetCompleted } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import { asPageTable, type MmuAddressBits } from "./asPageTable.ts";
import { createAsSlotMachine, TRANSLATING_STATES, translateIn, type AsCommand, type AsSlotDeps, type LatchedFault, type TranslateVerdict, type TranslationRequest } from "./asSlotMachine.ts";
import {
  AsCommandCompleted, AsCommandIssued, AsCommandRejected, AsFaultRaised, TranslationCompleted, TranslationRequested, TranslationStalled,
} from "./mmuEvents.ts";
import { mmuPaths } from "./mmuPaths.ts";
import type { PageTable } from "./pageTable.ts";
import { AsTlb } from "./tlb.ts";
import { translateRanges } from "./translateRanges.ts";
import { ACCESS_TYPE, type MmuFault } from "./walk.ts";

/** Configuration of a GPU's MMU, from its model. */
export interface MmuConfig extends MmuAddressBits {
  /** GPU index: the actor is `gpu<N>.mmu`. */
  readonly gpu: number;
  /** AS_PRESENT: one slot per set bit. */
  readonly asPresent: number;
  /** Virtual time an AS command keeps AS_ACTIVE set. */
  readonly commandLatencyNs: number;
}

/**
 * Assumed AS command latency: 1 µs. Panthor polls AS_STATUS every 10 µs (100 ms timeout), so
 * any value well under 10 µs makes the first re-read see the command done, as on hardware.
 */
export const AS_COMMAND_LATENCY_NS = 1_000;

/** Per-AS data beside the slot machine: its TLB, the table AS_TRANSTAB points at, parked requests. */
interface AsData {
  readonly tlb: AsTlb;
  pt: PageTable | undefined;
  stalled: TranslationRequest[];
  /** Requests whose stall was already published (a retry that stalls again stays quiet). */
  readonly reported: WeakSet<TranslationRequest>;
}

/**
 * The GPU MMU as an actor (`gpu<N>.mmu`): one slot machine per present AS
 * (`asSlotMachine.ts`), the TLB and walk of `tlb.ts`/`walk.ts` over the shared system RAM
 * (read-only: page tables arrive as `MemoryWritten` events applied by the memory replica).
 * Commands come from the register file (`AsCommandIssued`), translations from the shader cores
 * (`TranslationRequested`); a soft reset forgets every AS's programming, as
 * `panthor_mmu_post_reset()` assumes.
 */
export function mmuActor(config: MmuConfig, mem: PhysicalMemory): ActorSpec {
  const paths = mmuPaths(config.gpu);
  return {
    name: `gpu${config.gpu}.mmu`,
    subscribes: [paths.cmd, paths.translate, regsPaths(config.gpu).reset],
    create(ctx: ActorContext): ActorBehaviour {
      const slots = new Map<number, { data: AsData; deps: AsSlotDeps; machine: HostedMachine<ReturnType<typeof createAsSlotMachine>> }>();
      for (let as = 0; as < 32; as++) {
        if (Math.floor(config.asPresent / 2 ** as) % 2 === 0) continue;
        const data: AsData = { tlb: new AsTlb(), pt: undefined, stalled: [], reported: new WeakSet() };
        const deps = slotDeps(ctx, config, mem, as, data);
        const machine = createAsSlotMachine(as, config.commandLatencyNs, deps);
        slots.set(as, { data, deps, machine: hostMachine(ctx, machine, { id: `${ctx.name}.as${as}` }) });
      }
      return {
        handle(e: Envelope) {
          if (EventRegistry.is(AsCommandIssued, e)) {
            const slot = slots.get(e.payload.as);
            if (slot === undefined) return void ctx.publish(AsCommandRejected, paths.error, { as: e.payload.as, command: e.payload.command, reason: "not-present" });
            sendChecked(slot.machine, { type: "COMMAND", cmd: e.payload });
          } else if (EventRegistry.is(TranslationRequested, e)) {
            const slot = slots.get(e.payload.as);
            if (slot === undefined) return void answer(ctx, paths.translated, e.payload, missingAsFault(e.payload));
            // The data path runs outside the chart while the slot translates (`translateIn`); only a fault to latch moves it.
            const s = slot.machine.getSnapshot();
            if (s.status !== "active" || !TRANSLATING_STATES.has((s.value as { slot: string }).slot)) return void sendChecked(slot.machine, { type: "TRANSLATE", req: e.payload });
            const fault = translateIn(s.context, e.payload, slot.deps);
            if (fault !== undefined) sendChecked(slot.machine, { type: "LATCH", fault });
          } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
            for (const s of slots.values()) sendChecked(s.machine, { type: "RESET" });
          }
        },
        snapshot() {
          const out: Record<string, unknown> = {};
          for (const [as, { data, machine }] of slots) {
            const s = machine.getSnapshot();
            const value = s.value as { command: string; slot: string };
            out[`as${as}`] = {
              state: value.slot,
              command: value.command,
              pgd: data.pt?.pgdPa ?? null,
              tlbEntries: data.tlb.entries.size,
              lockRegion: data.tlb.lockRegion,
              fault: s.context.fault,
              stalled: data.stalled.map((r) => r.job),
            };
          }
          return out;
        },
      };
    },
  };
}

/** The slot machine's data path and publications for AS `as`. */
function slotDeps(ctx: ActorContext, config: MmuConfig, mem: PhysicalMemory, as: number, data: AsData): AsSlotDeps {
  const paths = mmuPaths(config.gpu);
  return {
    apply(cmd: AsCommand) {
      const code = AS_COMMAND[cmd.command];
      if (code === AS_COMMAND.UPDATE) {
        const cfg = { transtab: BigInt(cmd.transtab), memattr: BigInt(cmd.memattr), transcfg: BigInt(cmd.transcfg) };
        data.pt = asPageTable(mem, cfg.transtab, cfg.transcfg, config);
        data.tlb.update(cfg);
      } else {
        data.tlb.command(code, BigInt(cmd.lockaddr));
      }
      return { configured: data.pt !== undefined, locked: data.tlb.lockRegion !== null };
    },
    completed: (cmd: AsCommand) => ctx.publish(AsCommandCompleted, paths.status, { as, command: cmd.command }),
    rejectedBusy: (cmd: AsCommand) => ctx.publish(AsCommandRejected, paths.error, { as, command: cmd.command, reason: "busy" }),
    translate(req: TranslationRequest, configured: boolean): TranslateVerdict {
      // A job touching no memory needs no translation, whatever the AS's state.
      const r = req.ranges.length === 0
        ? { kind: "ok" as const, segments: [] }
        : configured && data.pt !== undefined
          ? translateRanges(data.tlb, data.pt, req.ranges)
          : { kind: "fault" as const, fault: unconfiguredFault(req) };
      if (r.kind === "ok") {
        ctx.publish(TranslationCompleted, paths.translated, { requester: req.requester, job: req.job, as, ok: true, segments: r.segments });
        return { kind: "ok" };
      }
      if (r.kind === "stalled") {
        if (!data.reported.has(req)) {
          ctx.publish(TranslationStalled, paths.translated, { requester: req.requester, job: req.job, as, va: r.address, lockStart: r.region.start, lockSize: r.region.size });
          data.reported.add(req);
        }
        data.stalled.push(req);
        return { kind: "stalled" };
      }
      const fault = latchedFault(r.fault);
      ctx.publish(AsFaultRaised, paths.fault, { as, ...fault, job: req.job });
      answer(ctx, paths.translated, req, { ...fault, latched: false });
      return { kind: "fault", fault };
    },
    answerFaulted: (req: TranslationRequest, fault: LatchedFault) => answer(ctx, paths.translated, req, { ...fault, latched: true }),
    takeStalled() {
      const parked = data.stalled;
      data.stalled = [];
      return parked;
    },
    reset() {
      data.pt = undefined;
      data.tlb.update({ transtab: 0n, memattr: 0n, transcfg: 0n });
      if (data.tlb.lockRegion !== null) data.tlb.unlock();
      data.stalled = [];
    },
  };
}

/** Answer a request with a fault. */
function answer(ctx: ActorContext, path: string, req: TranslationRequest, fault: LatchedFault & { latched: boolean }): void {
  ctx.publish(TranslationCompleted, path, { requester: req.requester, job: req.job, as: req.as, ok: false, segments: [], fault });
}

/** AS_FAULTSTATUS/AS_FAULTADDRESS for a walk fault (source id 0: tyrsim does not name the requesting unit). */
function latchedFault(f: MmuFault): LatchedFault {
  const faultStatus = encodeAsFaultStatus({ exceptionType: f.exceptionType, accessType: f.accessType, sourceId: 0 });
  return { faultStatus, faultAddress: f.address, exceptionType: f.exceptionType, exceptionName: exceptionName(f.exceptionType), accessType: f.accessType };
}

/**
 * The fault of an access through an AS that does not translate (ADRMODE_UNMAPPED, never
 * UPDATEd, or an unmodelled mode): TRANSLATION_FAULT_0 at the first address — assumed; the
 * hardware's exact code for unmapped mode is not in the reference.
 */
function unconfiguredFault(req: TranslationRequest): MmuFault {
  const first = req.ranges[0] ?? { access: "read" as const, va: 0 };
  return { ok: false, kind: "translation", level: 0, exceptionType: EXCEPTION.TRANSLATION_FAULT_0, accessType: ACCESS_TYPE[first.access], address: first.va };
}

/** A request for an AS the GPU does not have: it faults, but no AS exists to latch it. */
function missingAsFault(req: TranslationRequest): LatchedFault & { latched: boolean } {
  return { ...latchedFault(unconfiguredFault(req)), latched: false };
}
