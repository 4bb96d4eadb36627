/**
 * Subject paths of the DRM device `drv<N>` exposes to user space (the character device of
 * `/dev/dri/card<N>` and its render node, as events). Requests go to the bare path, answers to
 * `<path>.done`, so a client subscribes to the answers without seeing its own requests.
 */
export const uapiPaths = (gpu: number) => ({
  /** `DrmFileOpenRequested`, `DrmFileCloseRequested`: open(2) and close(2) of the device node. */
  file: `drv${gpu}.file`,
  /** `DrmFileOpened`, `DrmFileOpenFailed`, `DrmFileClosed`. */
  fileDone: `drv${gpu}.file.done`,
  /** `IoctlIssued`: ioctl(2) on an open DRM file. */
  ioctl: `drv${gpu}.ioctl`,
  /** `IoctlCompleted`: the ioctl's return value and output fields. */
  ioctlDone: `drv${gpu}.ioctl.done`,
  /** `BoMmapRequested`, `BoMunmapRequested`, `BoCpuWriteIssued`, `BoCpuReadIssued`: CPU mappings of BOs. */
  mmap: `drv${gpu}.mmap`,
  /** `BoCpuAccessCompleted`. */
  mmapDone: `drv${gpu}.mmap.done`,
  /** `VmActivationRequested`: `panthor_vm_active()` on request (the scheduler does it for its groups). */
  vm: `drv${gpu}.vm`,
  /** `VmActivated`, `VmActivationFailed`, `VmAsReleased`, `MmuFaultHandled`, `VmBindJobCompleted`. */
  vmState: `drv${gpu}.vm.state`,
  /** The GEM decider's events (`GemObjectCreated`, `GemPagesAllocated`, …). */
  gem: `drv${gpu}.gem`,
});
