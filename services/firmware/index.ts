/**
 * Public surface of the CSF MCU firmware's pure logic: the Valhall v10 command-stream encoder,
 * decoder and interpreter (cs-isa.md), the kernel's ring job wrapper, the `mali_csffw.bin` image
 * format (panthor.md §3.1), the interface blocks and their request/acknowledge protocol
 * (panthor.md §3.2–3.6), the firmware's decisions on them (GLB/CSG/CS acknowledgement, stream
 * arbitration, the RUN_* → shader job convention, the tiler-heap rule). No bus, no actors: the
 * firmware actor (`firmwareService.ts`) wires these.
 */
export * from "./cs/opcodes.ts";
export * from "./cs/layouts.ts";
export * from "./cs/encoding.ts";
export * from "./cs/encode.ts";
export * from "./cs/state.ts";
export * from "./cs/memory.ts";
export * from "./cs/ring.ts";
export * from "./cs/sync.ts";
export * from "./cs/jobs.ts";
export * from "./cs/effects.ts";
export { ZERO_CLOCK, type CsClock } from "./cs/context.ts";
export * from "./cs/interpreter.ts";
export * from "./cs/status.ts";
export * from "./cs/ringWrapper.ts";
export * from "./cs/scriptedHost.ts";
export * from "./interfaces.ts";
export * from "./interfaceBits.ts";
export * from "./sharedRegion.ts";
export * from "./interfaceDiscovery.ts";
export * from "./reqAck.ts";
export * from "./glbRequests.ts";
export * from "./csgRequests.ts";
export * from "./csArbiter.ts";
export * from "./jobDispatch.ts";
export * from "./tilerHeap.ts";
export * from "./imageFormat.ts";
export * from "./image.ts";
export * from "./imageBuilder.ts";
export * from "./firmwareDescriptor.ts";
