/**
 * Public surface of the GPU VA manager: the drm_gpuvm model (VA space, split/merge op generation,
 * op application, vm_bo bookkeeping) and panthor's layer on top (VA layout, VM_BIND validation,
 * page-table actions). Pure: no bus, no actors; the driver actor wires these to GEM and the MMU.
 */
export * from "./gpuvm.ts";
export * from "./ops.ts";
export * from "./splitMerge.ts";
export * from "./applyOps.ts";
export * from "./vmBo.ts";
export * from "./opGenerators.ts";
export * from "./vaLayout.ts";
export * from "./vmBind.ts";
export * from "./pageTableActions.ts";
