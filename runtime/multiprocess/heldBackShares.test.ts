import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { HeldBackShares } from "./heldBackShares.ts";
import type { RemoteService } from "./roundExchanges.ts";

const service = (name: string, partition: number): RemoteService => ({ name, partition, patterns: [], nextTimer: null, exchange: () => Promise.reject(new Error("not used")) });
/** An event whose share of a request is about 256 + 100 bytes. */
const event = (seq: number): Envelope => ({ id: `drv0:${seq}`, run: "r", seq, timeNs: seq, depth: 0, source: "drv0", subject: "tyrsim.r.gpu0.mem.write", type: "MemoryWritten", cause: null, payload: { data: "x".repeat(89) } });
const level = (timeNs: number) => ({ timeNs, depth: 0 });

describe("HeldBackShares", () => {
  it("holds shares while the process's GPUs together stay within the budget, then refuses", () => {
    const shares = new HeldBackShares(1_000);
    const [gpu0, gpu1] = [service("driver", 0), service("driver", 1)];
    expect(shares.hold(gpu0, level(1), [event(1)])).toBe(true);
    expect(shares.hold(gpu1, level(1), [event(2)])).toBe(true);
    // a third share would take the process past 1,000 bytes, whichever GPU it is for
    expect(shares.hold(gpu0, level(2), [event(3)])).toBe(false);
    // another process has a budget of its own
    expect(shares.hold(service("mmu", 0), level(2), [event(3)])).toBe(true);
  });

  it("hands a service's held levels over in order, once, and frees their part of the budget", () => {
    const shares = new HeldBackShares(1_000);
    const gpu0 = service("driver", 0);
    shares.hold(gpu0, level(1), [event(1)]);
    shares.hold(gpu0, level(2), [event(2)]);
    expect(shares.release(gpu0)?.map((l) => l.level.timeNs)).toEqual([1, 2]);
    expect(shares.release(gpu0)).toBeUndefined();
    expect(shares.hold(gpu0, level(3), [event(3), event(4)])).toBe(true);
  });
});
