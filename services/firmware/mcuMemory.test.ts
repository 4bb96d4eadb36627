import { describe, expect, it } from "vitest";
import { EXCEPTION } from "../../shared/gpu/exceptions.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_TRANSCFG, asTranscfgInaBits } from "../../shared/gpu/registerFields.ts";
import { map, unmap } from "../mmu/iommuMap.ts";
import { hex64 } from "../mmu/mmuEvents.ts";
import { createPageTable, transtab } from "../mmu/pageTable.ts";
import { IOMMU_PROT } from "../mmu/pteFormat.ts";
import { AsViews } from "./asViews.ts";
import { decodeLenient } from "./interfaceIo.ts";
import { CS_INPUT } from "./interfaces.ts";
import { McuMemory } from "./mcuMemory.ts";
import { PendingWrites } from "./pendingWrites.ts";

const { READ: R, WRITE: W, NOEXEC: NX } = IOMMU_PROT;
const TRANSCFG = hex64(BigInt(AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - 48)));

/** RAM with an AS1 page table: VA 0x10000 → two non-adjacent frames (RW), VA 0x20000 → one read-only frame. */
function setup() {
  const mem = new PhysicalMemory(64 * PAGE_SIZE);
  mem.allocFrames(1);
  const pt = createPageTable(mem);
  const [a, , b, ro] = mem.allocFrames(4).map((f) => f * PAGE_SIZE) as [number, number, number, number];
  map(pt, 0x10000, a, PAGE_SIZE, R | W | NX);
  map(pt, 0x11000, b, PAGE_SIZE, R | W | NX);
  map(pt, 0x20000, ro, PAGE_SIZE, R | NX);
  const views = new AsViews(mem, { vaBits: 48, paBits: 40 });
  views.commandIssued(1, "UPDATE", hex64(transtab(pt)), TRANSCFG);
  views.commandCompleted(1, "UPDATE");
  const pending = new PendingWrites();
  return { mem, views, pending, pt, a, b, ro, session: () => new McuMemory(views, 1, pending) };
}

describe("the MCU's own memory accesses through an address space", () => {
  it("reads through the AS's page tables across a page boundary into non-adjacent frames", () => {
    const { mem, a, b, session } = setup();
    mem.write(a + PAGE_SIZE - 2, Uint8Array.of(1, 2));
    mem.write(b, Uint8Array.of(3, 4));
    expect(session().read(0x10000 + PAGE_SIZE - 2, 4)).toEqual({ ok: true, data: Uint8Array.of(1, 2, 3, 4) });
  });

  it("records writes by physical address, merged where contiguous, and reads them back before they are published", () => {
    const { mem, a, b, session } = setup();
    const s = session();
    expect(s.write(0x10000 + 8, Uint8Array.of(0xaa, 0xbb))).toEqual({ ok: true });
    expect(s.write(0x10000 + 10, Uint8Array.of(0xcc))).toEqual({ ok: true });
    expect(s.write(0x10000 + PAGE_SIZE - 1, Uint8Array.of(1, 2))).toEqual({ ok: true });
    expect(s.read(0x10000 + 8, 3)).toEqual({ ok: true, data: Uint8Array.of(0xaa, 0xbb, 0xcc) });
    expect(mem.read(a + 8, 3)).toEqual(new Uint8Array(3));
    expect(s.takeWrites()).toEqual([
      { pa: a + 8, bytes: Uint8Array.of(0xaa, 0xbb, 0xcc) },
      { pa: a + PAGE_SIZE - 1, bytes: Uint8Array.of(1) },
      { pa: b, bytes: Uint8Array.of(2) },
    ]);
  });

  it("lays in-flight writes over RAM until their event is delivered", () => {
    const { a, pending, session } = setup();
    pending.add("gpu0.fw:7", a + 4, Uint8Array.of(9, 9));
    expect(session().read(0x10000 + 3, 4)).toEqual({ ok: true, data: Uint8Array.of(0, 9, 9, 0) });
    expect(pending.delivered("gpu0.fw:7")).toBe(true);
    expect(session().read(0x10000 + 3, 4)).toEqual({ ok: true, data: new Uint8Array(4) });
  });

  it("answers the MMU's fault codes instead of throwing: unmapped, read-only, unconfigured AS", () => {
    const { views, pending, session } = setup();
    expect(session().read(0x30000, 4)).toEqual({ ok: false, fault: { exceptionType: EXCEPTION.TRANSLATION_FAULT_3, address: 0x30000 } });
    expect(session().write(0x20000, Uint8Array.of(1))).toEqual({ ok: false, fault: { exceptionType: EXCEPTION.PERM_FAULT_3, address: 0x20000 } });
    expect(new McuMemory(views, 2, pending).read(0, 4)).toEqual({ ok: false, fault: { exceptionType: EXCEPTION.TRANSLATION_FAULT_0, address: 0 } });
  });

  it("keeps a translation until a command completes on the AS, like a TLB the driver must flush", () => {
    // given VA 0x10000 read once (frame a holds 1), then remapped to frame b (holding 2) without a flush
    const { mem, pt, views, a, b, session } = setup();
    mem.write(a, Uint8Array.of(1));
    mem.write(b, Uint8Array.of(2));
    expect(session().read(0x10000, 1)).toEqual({ ok: true, data: Uint8Array.of(1) });
    unmap(pt, 0x10000, PAGE_SIZE);
    map(pt, 0x10000, b, PAGE_SIZE, R | W | NX);
    // then the stale translation is used until an AS command completes
    expect(session().read(0x10000, 1)).toEqual({ ok: true, data: Uint8Array.of(1) });
    views.commandCompleted(1, "FLUSH_PT");
    expect(session().read(0x10000, 1)).toEqual({ ok: true, data: Uint8Array.of(2) });
    // and a GPU reset forgets the AS altogether
    views.reset();
    expect(session().read(0x10000, 1).ok).toBe(false);
  });
});

describe("interface blocks as the firmware reads them", () => {
  it("decodes a host-written input block without throwing on 64-bit values beyond 2^53", () => {
    const bytes = new Uint8Array(CS_INPUT.size).fill(0xff);
    const d = decodeLenient(CS_INPUT, bytes);
    expect(d.ringbuf_base).toBe(2 ** 53 - 1);
    expect(d.req).toBe(0xffff_ffff);
    expect(decodeLenient(CS_INPUT, new Uint8Array(4)).ringbuf_size).toBe(0);
  });
});
