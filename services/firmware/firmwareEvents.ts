import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

/**
 * The MCU firmware's facts, at the granularity a driver engineer reasons in: boot, the
 * request/acknowledge toggles of each interface, the events it raises, CS state changes, sync
 * object writes and faults. The bytes it writes (ack words, CS status, ring extract, a CS's
 * stores) are `MemoryWritten` events with agent `mcu`; its interrupts are `IrqRaised`; its
 * MCU_STATUS is `McuStatusChanged` — those types belong to the memory and register services.
 */

const u32 = z.number().int().nonnegative().max(0xffffffff);
const va = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const gpu = z.number().int().nonnegative();
const csg = z.number().int().min(0).max(30);
const cs = z.number().int().min(0).max(31);
/** Request or event bit names as `panthor_fw.h` spells them without prefix (`PING`, `STATE_START`, `SYNC_UPDATE`). */
const names = z.array(z.string().min(1));

/** A fault injector makes the firmware crash, or stop answering pings (its watchdog then fires in the driver). */
export const FirmwareFaultInjected = defineEvent(
  "FirmwareFaultInjected",
  z.object({ gpu, kind: z.enum(["crash", "ignore-ping"]) }),
  "Injected: the MCU firmware crashes (MCU_STATUS FATAL, nothing acked) or stops acknowledging GLB_PING.",
);

/** The MCU came up: interface blocks written into the shared region, GLB ready. */
export const FirmwareBooted = defineEvent(
  "FirmwareBooted",
  z.object({
    /** CSF interface version, `major.minor.patch`. */
    version: z.string(),
    groupNum: z.number().int().nonnegative(),
    streamNum: z.number().int().nonnegative(),
    /** MCU VA and physical address of the shared (interface) section. */
    sharedVa: va,
    sharedPa: va,
    sharedSize: z.number().int().positive(),
    /** A restart from HALT keeps the interface state (panthor's fast reset). */
    fast: z.boolean(),
  }),
  "The MCU booted from its image: interfaces discovered in the shared region, JOB_INT GLOBAL_IF raised.",
);

/** The MCU could not boot: its image is not mapped (or not an image) at the VA it boots from. */
export const FirmwareBootFailed = defineEvent(
  "FirmwareBootFailed",
  z.object({
    reason: z.enum(["image-unmapped", "bad-descriptor", "shared-unmapped"]),
    /** The MCU VA the boot stopped at. */
    va,
    /** The MMU's exception for an unmapped VA. */
    exceptionName: z.string().optional(),
  }),
  "The MCU found no valid firmware image through AS0: it stays DISABLED and raises no interrupt.",
);

/** The firmware crashed: it stops acknowledging anything; MCU_STATUS reads FATAL. */
export const FirmwareCrashed = defineEvent(
  "FirmwareCrashed",
  z.object({ reason: z.enum(["injected"]), haltStatus: u32 }),
  "The firmware crashed (halt_status PANIC); every later request goes unanswered until a reset.",
);

/** The firmware acknowledged global requests (GLB_ACK now equals GLB_REQ for them). */
export const GlbRequestsAcked = defineEvent(
  "GlbRequestsAcked",
  z.object({ requests: names, ack: u32, irq: z.boolean() }),
  "GLB requests acknowledged by toggling/copying GLB_ACK bits; irq when one is in ack_irq_mask.",
);

/** Pending global requests the firmware left unacknowledged, and why. */
export const GlbRequestsIgnored = defineEvent(
  "GlbRequestsIgnored",
  z.object({ requests: names, reason: z.enum(["unsupported", "ping-ignored"]) }),
  "GLB requests left pending: not modelled (PROTM_ENTER, PERFCNT_*, SLEEP) or pings ignored by an injected fault.",
);

/** The firmware raised a global event (GLB_ACK bit toggled away from GLB_REQ). */
export const GlbEventRaised = defineEvent("GlbEventRaised", z.object({ event: z.enum(["IDLE"]) }), "A GLB event: IDLE once every resident CSG is idle.");

/** A CSG slot changed state on a CSG_REQ.STATE request. */
export const CsgStateChanged = defineEvent(
  "CsgStateChanged",
  z.object({
    csg,
    state: z.enum(["running", "suspended", "terminated"]),
    request: z.enum(["START", "SUSPEND", "RESUME", "TERMINATE"]),
    /** CSG priority, endpoint_req [31:28]. */
    priority: z.number().int().min(0).max(15),
    /** The group's address space (CSG `config`). */
    as: z.number().int().nonnegative(),
  }),
  "A CSG slot started, suspended, resumed or terminated its group.",
);

/** The firmware acknowledged CSG requests. */
export const CsgRequestsAcked = defineEvent(
  "CsgRequestsAcked",
  z.object({ csg, requests: names, ack: u32, irq: z.boolean() }),
  "CSG requests (STATE, ENDPOINT_CONFIG, STATUS_UPDATE) acknowledged in CSG_ACK.",
);

/** The firmware raised a CSG event. */
export const CsgEventRaised = defineEvent(
  "CsgEventRaised",
  z.object({ csg, event: z.enum(["IDLE", "SYNC_UPDATE", "PROGRESS_TIMER_EVENT"]) }),
  "A CSG event: the group went idle, a SYSTEM-scope sync object changed, or its progress timer expired.",
);

/** The firmware acknowledged CS requests. */
export const CsRequestsAcked = defineEvent(
  "CsRequestsAcked",
  z.object({ csg, cs, requests: names, ack: u32 }),
  "CS requests (STATE start/stop, idle-report config, EXTRACT_EVENT) acknowledged in CS_ACK.",
);

/** A CS ran its ring empty (CS_EXTRACT == CS_INSERT at the root frame). */
export const CsIdle = defineEvent(
  "CsIdle",
  z.object({ csg, cs, extract: va, pendingJobs: z.number().int().nonnegative() }),
  "A command stream consumed its ring up to CS_INSERT; jobs it issued may still be running.",
);

/** A CS stopped on WAIT or SYNC_WAIT; the wait is visible in its CS output status. */
export const CsBlocked = defineEvent(
  "CsBlocked",
  z.object({
    csg,
    cs,
    /** CS_STATUS_BLOCKED_REASON: SB_WAIT 1, SYNC_WAIT 3. */
    blockedReason: z.number().int().nonnegative(),
    instructionAddress: va,
    syncAddress: va.optional(),
    /** MALI_CS_CONDITION of the SYNC_WAIT. */
    condition: z.number().int().optional(),
    reference: z.string().optional(),
    current: z.string().optional(),
    waitMask: z.number().int().optional(),
  }),
  "A command stream is blocked: scoreboard wait or a sync object not yet at its reference value.",
);

/** A CS exception: CS_FATAL (the stream is dead) or CS_FAULT (stalled until acknowledged). */
export const CsFaultRaised = defineEvent(
  "CsFaultRaised",
  z.object({
    csg,
    cs,
    fatal: z.boolean(),
    exceptionType: z.number().int().min(0).max(0xff),
    exceptionName: z.string(),
    info: va,
    instructionAddress: va,
    message: z.string(),
  }),
  "CS_FATAL or CS_FAULT written to the CS output block, CS_ACK toggled, CSG interrupt raised.",
);

/** A CS's tiler ran out of heap: the host must grow the heap (CS_TILER_OOM handshake). */
export const CsTilerOomRaised = defineEvent(
  "CsTilerOomRaised",
  z.object({ csg, cs, heapContext: va, vtStart: u32, vtEnd: u32, fragEnd: u32 }),
  "CS_TILER_OOM raised with the heap context and its counters in the CS output block.",
);

/** A SYNC_ADD/SYNC_SET wrote a sync object in GPU memory (seqno and, with error propagation, status). */
export const SyncObjectUpdated = defineEvent(
  "SyncObjectUpdated",
  z.object({
    gpu,
    csg,
    cs,
    /** GPU VA of the sync object in the group's VM. */
    address: va,
    /** The new sequence number, decimal (64-bit exact). */
    seqno: z.string().regex(/^\d+$/),
    /** The status word written (0 ok, 1 error), absent without error propagation. */
    status: u32.optional(),
    size: z.union([z.literal(32), z.literal(64)]),
    operation: z.enum(["add", "set"]),
    scope: z.enum(["SYSTEM", "CSG"]),
  }),
  "A command stream updated a sync object; fences are derived from its seqno and status.",
);

/** Every firmware event type. */
export const firmwareEvents = [
  FirmwareFaultInjected,
  FirmwareBooted,
  FirmwareBootFailed,
  FirmwareCrashed,
  GlbRequestsAcked,
  GlbRequestsIgnored,
  GlbEventRaised,
  CsgStateChanged,
  CsgRequestsAcked,
  CsgEventRaised,
  CsRequestsAcked,
  CsIdle,
  CsBlocked,
  CsFaultRaised,
  CsTilerOomRaised,
  SyncObjectUpdated,
] as const;
