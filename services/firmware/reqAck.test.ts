import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CS, CSG, GLB } from "./interfaceBits.ts";
import { acknowledge, acknowledgeEvents, acknowledged, raiseEvents, requestsPending, toggleReqs, updateReqs } from "./reqAck.ts";

describe("request/acknowledge toggle protocol (panthor.md §3.3)", () => {
  it("marks a toggled GLB_PING pending until the firmware acknowledges it", () => {
    // given an interface at rest
    let req = 0;
    let ack = 0;
    // when the host toggles PING
    req = toggleReqs(req, ack, GLB.PING);
    expect(requestsPending(req, ack, GLB.REQ_MASK)).toBe(GLB.PING);
    // then the firmware's acknowledge clears it, and a second ping toggles the bit back
    ack = acknowledge(req, ack, requestsPending(req, ack, GLB.REQ_MASK));
    expect(requestsPending(req, ack, GLB.REQ_MASK)).toBe(0);
    req = toggleReqs(req, ack, GLB.PING);
    expect(req & GLB.PING).toBe(0);
    expect(requestsPending(req, ack, GLB.PING)).toBe(GLB.PING);
  });

  it("keeps a request pending (not cancelled) when the host toggles it again before the acknowledge", () => {
    const ack = 0;
    const once = toggleReqs(0, ack, GLB.PING);
    const twice = toggleReqs(once, ack, GLB.PING);
    expect(twice).toBe(once);
    expect(requestsPending(twice, ack, GLB.PING)).toBe(GLB.PING);
  });

  it("leaves other pending requests alone when toggling one bit", () => {
    const req = toggleReqs(0, 0, GLB.CFG_ALLOC_EN | GLB.CFG_POWEROFF_TIMER | GLB.CFG_PROGRESS_TIMER);
    const withPing = toggleReqs(req, 0, GLB.PING);
    expect(requestsPending(withPing, 0, GLB.REQ_MASK)).toBe(GLB.CFG_ALLOC_EN | GLB.CFG_POWEROFF_TIMER | GLB.CFG_PROGRESS_TIMER | GLB.PING);
    // the firmware may acknowledge one at a time
    const ack = acknowledge(withPing, 0, GLB.PING);
    expect(requestsPending(withPing, ack, GLB.REQ_MASK)).toBe(GLB.CFG_ALLOC_EN | GLB.CFG_POWEROFF_TIMER | GLB.CFG_PROGRESS_TIMER);
  });

  it("applies config fields (CSG_REQ.STATE) by value: done when ack equals req under the mask", () => {
    let req = updateReqs(0, CSG.STATE_START, CSG.STATE_MASK);
    let ack = 0;
    expect(acknowledged(req, ack, CSG.STATE_MASK)).toBe(false);
    ack = acknowledge(req, ack, CSG.STATE_MASK);
    expect(ack & CSG.STATE_MASK).toBe(CSG.STATE_START);
    // a SUSPEND while an unrelated STATUS_UPDATE toggle is pending
    req = toggleReqs(req, ack, CSG.STATUS_UPDATE);
    req = updateReqs(req, CSG.STATE_SUSPEND, CSG.STATE_MASK);
    expect(requestsPending(req, ack, CSG.REQ_MASK)).toBe((CSG.STATE_START ^ CSG.STATE_SUSPEND) | CSG.STATUS_UPDATE);
    ack = acknowledge(req, ack, CSG.REQ_MASK);
    expect(acknowledged(req, ack, CSG.REQ_MASK)).toBe(true);
    expect(ack & CSG.STATE_MASK).toBe(CSG.STATE_SUSPEND);
  });

  it("raises firmware events (CS_FATAL) until the host copies the ack bits into req, coalescing repeats", () => {
    let req = updateReqs(0, CS.STATE_START, CS.STATE_MASK);
    let ack = acknowledge(req, 0, CS.STATE_MASK);
    ack = raiseEvents(req, ack, CS.FATAL);
    expect(requestsPending(req, ack, CS.EVT_MASK)).toBe(CS.FATAL);
    ack = raiseEvents(req, ack, CS.FATAL); // raised again before the host looked: still one pending event
    expect(requestsPending(req, ack, CS.EVT_MASK)).toBe(CS.FATAL);
    req = acknowledgeEvents(req, ack, CS.FATAL);
    expect(requestsPending(req, ack, CS.EVT_MASK)).toBe(0);
    expect(req & CS.STATE_MASK).toBe(CS.STATE_START);
    ack = raiseEvents(req, ack, CS.FAULT);
    expect(requestsPending(req, ack, CS.EVT_MASK) >>> 0).toBe(CS.FAULT);
  });

  it("never disturbs bits outside the mask, for any words (seeded property)", () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, u32, (req, ack, mask) => {
        expect((toggleReqs(req, ack, mask) & ~mask) >>> 0).toBe((req & ~mask) >>> 0);
        expect((acknowledge(req, ack, mask) & ~mask) >>> 0).toBe((ack & ~mask) >>> 0);
        expect((raiseEvents(req, ack, mask) & ~mask) >>> 0).toBe((ack & ~mask) >>> 0);
        expect(requestsPending(toggleReqs(req, ack, mask), ack, mask)).toBe(mask >>> 0);
        expect(requestsPending(req, acknowledge(req, ack, mask), mask)).toBe(0);
        expect(requestsPending(req, raiseEvents(req, ack, mask), mask)).toBe(mask >>> 0);
        expect(requestsPending(acknowledgeEvents(req, ack, mask), ack, mask)).toBe(0);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
