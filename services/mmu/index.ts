/**
 * Public surface of the GPU MMU data path: page-table format and operations (io-pgtable), the
 * hardware walk with Mali fault codes, AS_LOCKADDR encoding and the per-AS TLB. Pure: no bus, no
 * actors; the MMU actor and the driver model call these.
 */
export * from "./pteFormat.ts";
export * from "./lpaeGeometry.ts";
export * from "./pageTable.ts";
export * from "./iommuMap.ts";
export * from "./walk.ts";
export * from "./leafMappings.ts";
export * from "./lockRegion.ts";
export * from "./tlb.ts";
export * from "./asPageTable.ts";
export * from "./translateRanges.ts";
