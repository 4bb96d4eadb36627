/**
 * The user-space boundary of the DRM device as events: opening and closing DRM files, ioctls,
 * and the CPU's accesses to BOs through mmap. Requests carry a `tag` the client chooses; the
 * driver echoes it in the answer, so the client API is a request/response over events that works
 * the same in-process and over NATS.
 *
 * Payload schemas are deliberately loose where user space controls the bytes: `IoctlIssued.args`
 * is any JSON, validated by the driver per ioctl (a malformed argument is the ioctl's -EINVAL or
 * -EFAULT, never a rejected message), as the kernel copies whatever bytes user space passes.
 */
import { z } from "zod";
import { defineEvent } from "../../../shared/events/registry.ts";
import { Base64Schema } from "../../memory/memoryEvents.ts";
import { AsSchema } from "../../mmu/mmuEvents.ts";

const id = z.number().int().nonnegative();
const tag = z.string().min(1);
const errno = z.number().int().negative();
/** A DRM file as the driver numbers them (the open file description behind a client's fd). */
const file = id;
/** A GPU VA or a byte count inside a BO (< 2^53). */
const offset = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** open(2) of the render node by a client (a user-space process, named). */
export const DrmFileOpenRequested = defineEvent(
  "DrmFileOpenRequested",
  z.object({
    client: z.string().min(1),
    tag,
    /** The process holds CAP_SYS_NICE (a compositor, say): it may create HIGH and REALTIME groups. */
    capSysNice: z.boolean().optional(),
  }),
  "A client opened the DRM device node (open(2)); capSysNice: the process holds CAP_SYS_NICE.",
);

/** The open succeeded: a new DRM file (`struct drm_file` + `panthor_file`). */
export const DrmFileOpened = defineEvent(
  "DrmFileOpened",
  z.object({ client: z.string().min(1), tag, file }),
  "panthor_open(): a DRM file with its own handle, VM and syncobj tables.",
);

/** The open failed (no registered device: -ENODEV). */
export const DrmFileOpenFailed = defineEvent(
  "DrmFileOpenFailed",
  z.object({ client: z.string().min(1), tag, errno }),
  "open(2) of the DRM node failed with an errno.",
);

/** close(2) of a DRM file. */
export const DrmFileCloseRequested = defineEvent("DrmFileCloseRequested", z.object({ file, tag: tag.optional() }), "A client closed its DRM file.");

/** Everything the file held is released (VMs torn down, handles, syncobjs and mappings dropped); -EBADF for a file that was not open. */
export const DrmFileClosed = defineEvent(
  "DrmFileClosed",
  z.object({ file, tag: tag.optional(), ret: z.number().int().nonpositive() }),
  "panthor_postclose(): the file's VMs, GEM handles, syncobjs and mappings were released (ret -EBADF: no such open file).",
);

/** ioctl(2) on a DRM file: `ioctl` names the command (see `ioctlTable.ts`), `args` its struct as JSON. */
export const IoctlIssued = defineEvent(
  "IoctlIssued",
  z.object({ file, ioctl: z.string(), args: z.unknown(), tag }),
  "A client issued an ioctl on a DRM file; args is the uAPI struct with panthor_drm.h field names.",
);

/** The ioctl returned: 0 or a negative errno, and the struct's output fields (`drm_ioctl` copies them back). */
export const IoctlCompleted = defineEvent(
  "IoctlCompleted",
  z.object({ file, tag, ioctl: z.string(), ret: z.number().int().nonpositive(), out: z.record(z.string(), z.unknown()).optional() }),
  "An ioctl returned 0 or -errno, with its output fields.",
);

/** mmap(2) of a BO through its fake offset (from BO_MMAP_OFFSET). */
export const BoMmapRequested = defineEvent(
  "BoMmapRequested",
  z.object({ file, offset, length: offset, tag }),
  "A client mapped a BO into its address space by its mmap offset.",
);

/** munmap(2) of a BO mapping. */
export const BoMunmapRequested = defineEvent("BoMunmapRequested", z.object({ file, offset, tag }), "A client unmapped a BO.");

/** The CPU stores bytes through a BO mapping; the driver turns them into `MemoryWritten` (agent cpu). */
export const BoCpuWriteIssued = defineEvent(
  "BoCpuWriteIssued",
  z.object({ file, mmapOffset: offset, offset, data: Base64Schema, tag }),
  "A client wrote bytes into a mapped BO at an offset; the bytes are in the log.",
);

/** The CPU loads bytes through a BO mapping. */
export const BoCpuReadIssued = defineEvent(
  "BoCpuReadIssued",
  z.object({ file, mmapOffset: offset, offset, length: z.number().int().nonnegative().max(1 << 24), tag }),
  "A client read bytes from a mapped BO.",
);

/** The answer to a mapping request or a CPU access; -EFAULT stands for the SIGSEGV/SIGBUS a process would get. */
export const BoCpuAccessCompleted = defineEvent(
  "BoCpuAccessCompleted",
  z.object({ file, tag, op: z.enum(["mmap", "munmap", "write", "read"]), ret: z.number().int().nonpositive(), data: Base64Schema.optional() }),
  "A BO mmap/munmap or CPU access finished: 0 or -errno, and the bytes of a read.",
);

/** `panthor_vm_active()` + `panthor_vm_idle()` on request (the scheduler does it for its groups; tests and scenarios trigger it). */
export const VmActivationRequested = defineEvent(
  "VmActivationRequested",
  z.object({ file, vmId: id }),
  "Make a VM resident: give it an AS slot (first free above AS0, else the least recently used idle VM's) and program the AS.",
);

/** The VM is bound to an AS and the AS programmed (TRANSTAB, MEMATTR, TRANSCFG, UPDATE). */
export const VmActivated = defineEvent("VmActivated", z.object({ file, vmId: id, as: AsSchema }), "A VM was bound to an AS slot and the slot programmed.");

/** The VM could not be activated (-EINVAL: no such VM; -EBUSY: every AS in active use). */
export const VmActivationFailed = defineEvent("VmActivationFailed", z.object({ file, vmId: id, errno }), "panthor_vm_active() failed with an errno.");

/** A VM gave its AS back — destroyed, or evicted from the LRU for another VM (the AS was disabled first). */
export const VmAsReleased = defineEvent("VmAsReleased", z.object({ file, vmId: id, as: AsSchema }), "A VM's AS slot was disabled and freed (VM destroyed or LRU eviction).");

/** The MMU IRQ handler dealt with a page fault: AS masked and disabled, its VM (if any) made unusable. */
export const MmuFaultHandled = defineEvent(
  "MmuFaultHandled",
  z.object({
    as: AsSchema,
    faultStatus: z.number().int().nonnegative(),
    faultAddress: offset,
    exceptionName: z.string(),
    file: file.optional(),
    vmId: id.optional(),
  }),
  "panthor_mmu_irq_handler(): an AS fault was read, cleared and masked, the AS disabled and its VM marked faulty.",
);

/** An asynchronous VM_BIND op ran (its out-fence signalled, with the error if it failed). */
export const VmBindJobCompleted = defineEvent(
  "VmBindJobCompleted",
  z.object({ file, vmId: id, job: id, ret: z.number().int().nonpositive() }),
  "An async VM_BIND job ran on its VM's bind queue; a failure makes the VM unusable.",
);

/** Every uAPI event type. */
export const uapiEvents = [
  DrmFileOpenRequested, DrmFileOpened, DrmFileOpenFailed, DrmFileCloseRequested, DrmFileClosed, IoctlIssued, IoctlCompleted,
  BoMmapRequested, BoMunmapRequested, BoCpuWriteIssued, BoCpuReadIssued, BoCpuAccessCompleted,
  VmActivationRequested, VmActivated, VmActivationFailed, VmAsReleased, MmuFaultHandled, VmBindJobCompleted,
] as const;
