import { describe, expect, it } from "vitest";
import {
  ARM_LPAE_PTE_AF, ARM_LPAE_PTE_AP_RDONLY, ARM_LPAE_PTE_AP_UNPRIV, ARM_LPAE_PTE_XN, ARM_MALI_LPAE_MEMATTR_VALUE,
  IOMMU_PROT, armLpaeInitPte, armLpaeProtToPte, armLpaeTablePte, decodePte, iopteLeaf, iopteTable, iopteToPaddr,
  type IoPgtableFmt,
} from "./pteFormat.ts";

const { READ: R, WRITE: W, CACHE, NOEXEC, MMIO, PRIV } = IOMMU_PROT;
const PA = 0x8000_0000;
const leaf = (fmt: IoPgtableFmt, prot: number, lvl = 3, pa = PA): bigint => armLpaeInitPte(fmt, armLpaeProtToPte(fmt, prot), pa, lvl);

describe("stage-1 descriptors (ARM_64_LPAE_S1, what panthor uses)", () => {
  it("PGT-F01: a 4 KiB R|W|CACHE page is nG|AF|SH_IS|AP_UNPRIV|AttrIdx1|type 3", () => {
    expect(leaf("ARM_64_LPAE_S1", R | W | CACHE)).toBe(0x0000_0000_8000_0f47n);
  });

  it("PGT-F02: a read-only no-exec page adds AP_RDONLY and both XN bits", () => {
    expect(leaf("ARM_64_LPAE_S1", R | NOEXEC | CACHE)).toBe(0x0060_0000_8000_0fc7n);
  });

  it("PGT-F03: a 2 MiB block at level 2 has type 01", () => {
    expect(leaf("ARM_64_LPAE_S1", R | W | CACHE, 2)).toBe(0x0000_0000_8000_0f45n);
  });

  it("PGT-F04 and F05: uncached is AttrIdx 0 outer-shareable, MMIO is AttrIdx 2 outer-shareable", () => {
    expect(leaf("ARM_64_LPAE_S1", R | W) & 0xfffn).toBe(0xe43n);
    expect(leaf("ARM_64_LPAE_S1", R | W | MMIO) & 0xfffn).toBe(0xe4bn);
  });

  it("PGT-F06: IOMMU_PRIV leaves AP_UNPRIV clear", () => {
    expect(leaf("ARM_64_LPAE_S1", R | W | PRIV) & ARM_LPAE_PTE_AP_UNPRIV).toBe(0n);
  });

  it("PGT-F07: write-only is not read-only", () => {
    expect(leaf("ARM_64_LPAE_S1", W) & ARM_LPAE_PTE_AP_RDONLY).toBe(0n);
  });

  it("PGT-F09: a table descriptor is the next table's address with type 11", () => {
    expect(armLpaeTablePte(0x1234_5000)).toBe(0x1234_5003n);
    expect(iopteTable(armLpaeTablePte(0x5000), 2)).toBe(true);
    expect(iopteTable(armLpaeTablePte(0x5000), 3)).toBe(false);
  });
});

describe("Mali LPAE descriptors (ARM_MALI_LPAE, panfrost's format)", () => {
  it("PGT-M04: an R|W|CACHE leaf is SH_OS|HAP R+W|AttrIdx1|type 01 with no AF or nG", () => {
    expect(leaf("ARM_MALI_LPAE", R | W | CACHE)).toBe(0x0000_0000_8000_02c5n);
  });

  it("PGT-M04: read-only has HAP read only", () => {
    expect(leaf("ARM_MALI_LPAE", R | CACHE)).toBe(0x0000_0000_8000_0245n);
  });

  it("PGT-M04: a cacheable mapping stays outer-shareable and never gets AF", () => {
    expect(leaf("ARM_MALI_LPAE", R | W | CACHE) & (3n << 8n)).toBe(2n << 8n);
    expect(leaf("ARM_MALI_LPAE", R | W | CACHE) & ARM_LPAE_PTE_AF).toBe(0n);
    expect(leaf("ARM_MALI_LPAE", W | NOEXEC) & ARM_LPAE_PTE_XN).toBe(ARM_LPAE_PTE_XN);
  });

  it("PGT-M03: leaves are type 01 at every level; type 11 at level 3 is neither leaf nor table", () => {
    for (const lvl of [1, 2, 3]) expect(leaf("ARM_MALI_LPAE", R, lvl) & 3n).toBe(1n);
    expect(iopteLeaf(0x8000_0003n, 3, "ARM_MALI_LPAE")).toBe(false);
    expect(iopteTable(0x8000_0003n, 3)).toBe(false);
    expect(iopteLeaf(0x8000_0003n, 3, "ARM_64_LPAE_S1")).toBe(true);
  });

  it("PGT-M05: the memory attributes register is 0x888D88", () => {
    expect(ARM_MALI_LPAE_MEMATTR_VALUE).toBe(0x888d88n);
  });
});

describe("decodePte", () => {
  const cases: [IoPgtableFmt, number][] = [
    ["ARM_64_LPAE_S1", R | W | CACHE],
    ["ARM_64_LPAE_S1", R | NOEXEC],
    ["ARM_64_LPAE_S1", R | W | MMIO | NOEXEC],
    ["ARM_MALI_LPAE", R | W | CACHE],
    ["ARM_MALI_LPAE", W | NOEXEC],
    ["ARM_MALI_LPAE", R],
  ];
  for (const [fmt, prot] of cases) {
    it(`round-trips ${fmt} prot 0x${prot.toString(16)} and address through encode and decode at every leaf level`, () => {
      for (const [lvl, kind] of [[1, "block"], [2, "block"], [3, "page"]] as const) {
        const d = decodePte(fmt, leaf(fmt, prot, lvl), lvl);
        expect(d.kind).toBe(kind);
        expect(d.address).toBe(PA);
        expect(d.prot).toBe(prot);
        expect(d.accessFlag).toBe(true);
      }
    });
  }

  it("reads back a stage-1 write-only mapping as R|W, since stage-1 cannot deny reads", () => {
    expect(decodePte("ARM_64_LPAE_S1", leaf("ARM_64_LPAE_S1", W), 3).prot).toBe(R | W);
  });

  it("tells the walker what each descriptor is at each level", () => {
    expect(decodePte("ARM_64_LPAE_S1", 0n, 1).kind).toBe("invalid");
    expect(decodePte("ARM_64_LPAE_S1", 0x8000_0f46n, 3).kind).toBe("invalid"); // bit 0 clear
    expect(decodePte("ARM_64_LPAE_S1", armLpaeTablePte(0x5000), 0).kind).toBe("table");
    expect(decodePte("ARM_64_LPAE_S1", 0x8000_0f45n, 0).kind).toBe("reserved"); // no blocks at level 0
    expect(decodePte("ARM_64_LPAE_S1", 0x8000_0f45n, 3).kind).toBe("reserved"); // type 01 at level 3
    expect(decodePte("ARM_MALI_LPAE", 0x8000_0003n, 3).kind).toBe("reserved");
  });

  it("decodes permissions the MMU enforces, including Mali's HAP read bit", () => {
    expect(decodePte("ARM_64_LPAE_S1", leaf("ARM_64_LPAE_S1", R | NOEXEC), 3)).toMatchObject({ read: true, write: false, execute: false });
    expect(decodePte("ARM_MALI_LPAE", leaf("ARM_MALI_LPAE", W), 3)).toMatchObject({ read: false, write: true, execute: true });
    expect(decodePte("ARM_64_LPAE_S1", leaf("ARM_64_LPAE_S1", R | W) & ~ARM_LPAE_PTE_AF, 3).accessFlag).toBe(false);
  });

  it("keeps output addresses up to 48 bits and drops bits below the granule", () => {
    expect(iopteToPaddr(armLpaeInitPte("ARM_64_LPAE_S1", 0n, 0xffff_ffff_f000, 3))).toBe(0xffff_ffff_f000);
    expect(iopteToPaddr(armLpaeTablePte(0x1fff))).toBe(0x1000);
  });
});
