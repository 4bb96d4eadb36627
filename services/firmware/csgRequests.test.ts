import { describe, expect, it } from "vitest";
import { csEventsPending, planCsAcks, planCsgAcks } from "./csgRequests.ts";
import { CS, CSG } from "./interfaceBits.ts";
import { raiseEvents, toggleReqs, updateReqs } from "./reqAck.ts";

describe("CSG and CS request acknowledgement (firmware side of csg_slot_prog_locked, cs_slot_prog_locked)", () => {
  it("reads a CSG state request from the STATE field and acknowledges it with the toggles", () => {
    // given START written with an ENDPOINT_CONFIG toggle, against an ack of TERMINATE
    const req = toggleReqs(updateReqs(0, CSG.STATE_START, CSG.STATE_MASK), 0, CSG.ENDPOINT_CONFIG);
    const plan = planCsgAcks(req, 0, 0xffff_ffff);
    expect(plan).toMatchObject({ state: "START", endpointConfig: true, statusUpdate: false, acked: ["STATE_START", "ENDPOINT_CONFIG"], irq: true });
    expect(plan.ack & CSG.REQ_MASK).toBe(req & CSG.REQ_MASK);
    // and SUSPEND, RESUME, TERMINATE in turn
    expect(planCsgAcks(updateReqs(req, CSG.STATE_SUSPEND, CSG.STATE_MASK), plan.ack, 0).state).toBe("SUSPEND");
    expect(planCsgAcks(updateReqs(req, CSG.STATE_RESUME, CSG.STATE_MASK), plan.ack, 0).state).toBe("RESUME");
    expect(planCsgAcks(updateReqs(req, CSG.STATE_TERMINATE, CSG.STATE_MASK), plan.ack, 0).state).toBe("TERMINATE");
  });

  it("keeps the firmware's CSG events in the ack while acknowledging a STATUS_UPDATE", () => {
    const ack = raiseEvents(0, 0, CSG.IDLE);
    const plan = planCsgAcks(toggleReqs(0, ack, CSG.STATUS_UPDATE), ack, 0);
    expect(plan.acked).toEqual(["STATUS_UPDATE"]);
    expect(plan.ack & CSG.IDLE).toBe(CSG.IDLE);
    expect(planCsgAcks(0, 0, 0xffff_ffff)).toMatchObject({ state: null, acked: [], irq: false });
  });

  it("acknowledges CS START/STOP and the idle-report config bits", () => {
    const start = updateReqs(0, CS.STATE_START | CS.IDLE_SYNC_WAIT | CS.IDLE_EMPTY, CS.STATE_MASK | CS.IDLE_SYNC_WAIT | CS.IDLE_EMPTY);
    const plan = planCsAcks(start, 0, 0);
    expect(plan).toMatchObject({ state: "START", acked: ["STATE_START", "IDLE_SYNC_WAIT", "IDLE_EMPTY"], irq: false });
    expect(planCsAcks(updateReqs(start, CS.STATE_STOP, CS.STATE_MASK), plan.ack, CS.STATE_MASK)).toMatchObject({ state: "STOP", irq: true });
  });

  it("tells which CS events the host has not acknowledged yet", () => {
    const ack = raiseEvents(0, 0, CS.FAULT | CS.TILER_OOM);
    expect(csEventsPending(0, ack)).toEqual({ fault: true, fatal: false, tilerOom: true });
    expect(csEventsPending(ack & CS.FAULT, ack)).toEqual({ fault: false, fatal: false, tilerOom: true });
  });
});
