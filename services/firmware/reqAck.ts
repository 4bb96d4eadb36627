/**
 * The request/acknowledge toggle protocol of the CSF interfaces (panthor.md §3.3), as pure
 * 32-bit word functions. Each interface has a host-written `req` (input page) and a
 * firmware-written `ack` (output page); a bit "needs attention" while `req` and `ack` differ:
 *
 * - **config fields** (GLB_IDLE_EN, CSG_REQ.STATE, CS_REQ.STATE): the host writes the value into
 *   `req` ({@link updateReqs}); the firmware copies it into `ack` when applied ({@link acknowledge});
 * - **toggle requests** (GLB_PING, GLB_CFG_*, CSG_STATUS_UPDATE…): the host flips `req` relative
 *   to `ack` ({@link toggleReqs}); the firmware acknowledges by making `ack` equal ({@link acknowledge});
 * - **events** (GLB_IDLE, CSG_SYNC_UPDATE, CS_FATAL…): the firmware flips `ack` relative to `req`
 *   ({@link raiseEvents}); the host acknowledges by copying the `ack` bits into `req`
 *   ({@link acknowledgeEvents}).
 *
 * The same test, `(req ^ ack) & mask`, tells both sides what is pending ({@link requestsPending}).
 * Doorbell request words (`doorbell_req`/`doorbell_ack`) use the toggle form too.
 */

const u32 = (v: number): number => v >>> 0;

/** Bits of `mask` where `req` and `ack` differ: requests (or events) not yet acknowledged. */
export function requestsPending(req: number, ack: number, mask: number): number {
  return u32((req ^ ack) & mask);
}

/** True when every bit of `mask` agrees between `req` and `ack` (a config change was applied). */
export function acknowledged(req: number, ack: number, mask: number): boolean {
  return requestsPending(req, ack, mask) === 0;
}

/**
 * Host: flip the `mask` bits of `req` to the opposite of `ack`, leaving other bits alone —
 * `panthor_fw_toggle_reqs()`: `((ack ^ mask) & mask) | (req & ~mask)`. Toggling a bit that is
 * already pending leaves it pending (it does not cancel the request).
 */
export function toggleReqs(req: number, ack: number, mask: number): number {
  return u32(((ack ^ mask) & mask) | (req & ~mask));
}

/** Host: set the `mask` bits of `req` to `value` — `panthor_fw_update_reqs()`. */
export function updateReqs(req: number, value: number, mask: number): number {
  return u32((req & ~mask) | (value & mask));
}

/** Host: acknowledge firmware events by copying the `mask` bits of `ack` into `req`. */
export function acknowledgeEvents(req: number, ack: number, mask: number): number {
  return updateReqs(req, ack, mask);
}

/** Firmware: acknowledge requests (toggles and config fields) by copying `req` into `ack` for `mask`. */
export function acknowledge(req: number, ack: number, mask: number): number {
  return u32((ack & ~mask) | (req & mask));
}

/**
 * Firmware: raise events by making the `mask` bits of `ack` differ from `req`. Raising an event
 * the host has not acknowledged yet keeps it pending (events coalesce, as with a level IRQ).
 */
export function raiseEvents(req: number, ack: number, mask: number): number {
  return u32((ack & ~mask) | ((req ^ mask) & mask));
}
