/**
 * Range map/unmap over a page table, splitting a byte range into the largest page sizes that
 * alignment allows, as `iommu_map()` / `iommu_unmap()` with `iommu_pgsize()` in
 * `drivers/iommu/iommu.c`. Panthor does the same split itself (`panthor_vm_map_pages` /
 * `panthor_vm_unmap_pages` with `get_pgsize`): for its `SZ_4K | SZ_2M` bitmap both give 2 MiB
 * blocks wherever VA and PA are 2 MiB-aligned and at least 2 MiB remains, 4 KiB pages elsewhere,
 * and therefore the same descriptors.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { mapPages, unmapPages, type PageTable } from "./pageTable.ts";

/** The page sizes of a bitmap, ascending. */
function pageSizes(bitmap: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 53; bit++) if (Math.floor(bitmap / 2 ** bit) % 2 === 1) out.push(2 ** bit);
  return out;
}

/**
 * `iommu_pgsize()`: the biggest supported page size not above `size` to which both `iova` and
 * `paddr` are aligned, and how many such pages to map before the next larger size could start
 * (only when VA and PA are equally offset inside that larger size).
 */
export function iommuPgsize(bitmap: number, iova: number, paddr: number, size: number): { pgsize: number; count: number } {
  const sizes = pageSizes(bitmap);
  const fits = sizes.filter((s) => s <= size && iova % s === 0 && paddr % s === 0);
  const pgsize = fits[fits.length - 1];
  if (pgsize === undefined) throw new RangeError(`no page size of 0x${bitmap.toString(16)} fits iova 0x${iova.toString(16)} size 0x${size.toString(16)}`);
  const next = sizes.find((s) => s > pgsize);
  let span = size;
  if (next !== undefined && iova % next === paddr % next) {
    const offset = next - (iova % next);
    if (offset + next <= size) span = offset;
  }
  return { pgsize, count: Math.floor(span / pgsize) };
}

/**
 * Map `size` bytes from `iova` to `paddr` with IOMMU `prot`, as `iommu_map()`: returns 0 or a
 * negative errno. -EINVAL when `iova`, `paddr` or `size` is not aligned to the smallest page
 * size; errors of `map_pages` (-EEXIST, -ERANGE, -ENOMEM, -EINVAL) stop the loop and what this
 * call already mapped is unmapped again ("unroll mapping in case something went wrong").
 *
 * @example map(pt, 0x4000_0000, 0x8000_0000, 0x40_1000, IOMMU_PROT.READ | IOMMU_PROT.WRITE) // two 2 MiB blocks + one 4 KiB page
 */
export function map(pt: PageTable, iova: number, paddr: number, size: number, prot: number): number {
  const min = pageSizes(pt.cfg.pgsizeBitmap)[0] ?? 4096;
  if (iova % min !== 0 || paddr % min !== 0 || size % min !== 0) return -ERRNO.EINVAL;
  let remaining = size;
  let ret = 0;
  let va = iova;
  let pa = paddr;
  while (remaining > 0) {
    const { pgsize, count } = iommuPgsize(pt.cfg.pgsizeBitmap, va, pa, remaining);
    const r = mapPages(pt, va, pa, pgsize, count, prot);
    remaining -= r.mapped;
    if (r.ret !== 0) {
      ret = r.ret;
      break;
    }
    va += r.mapped;
    pa += r.mapped;
  }
  if (ret !== 0) unmap(pt, iova, size - remaining);
  return ret;
}

/**
 * Unmap `size` bytes from `iova`, as `iommu_unmap()`: returns the bytes unmapped, stopping at the
 * first piece `unmap_pages` cannot remove (a hole, or part of a larger block). 0 when `iova` or
 * `size` is not aligned to the smallest page size.
 */
export function unmap(pt: PageTable, iova: number, size: number): number {
  const min = pageSizes(pt.cfg.pgsizeBitmap)[0] ?? 4096;
  if (iova % min !== 0 || size % min !== 0) return 0;
  let unmapped = 0;
  while (unmapped < size) {
    const va = iova + unmapped;
    const { pgsize, count } = iommuPgsize(pt.cfg.pgsizeBitmap, va, va, size - unmapped);
    const n = unmapPages(pt, va, pgsize, count);
    if (n === 0) break;
    unmapped += n;
  }
  return unmapped;
}
