import { EventRegistry } from "../../../shared/events/registry.ts";
import { DRM_PANTHOR_VM_BIND_OP } from "../../../services/gpuvm/vmBind.ts";
import { GemHandleClosed, GemObjectCreated } from "../../../services/gem/gemEvents.ts";
import { DrmFileClosed, IoctlCompleted, IoctlIssued } from "../../../services/driver/uapi/uapiEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/** The GEM handles an ioctl's arguments name (BO ioctls' `handle`, BO_SYNC ops, VM_BIND MAP ops' `bo_handle`). */
export function gemHandlesOf(ioctl: string, args: unknown): number[] {
  const a = (args ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" ? [v] : []);
  const ops = (key: string) => {
    const arr = (a[key] as { array?: unknown } | undefined)?.array;
    return Array.isArray(arr) ? (arr as Record<string, unknown>[]) : [];
  };
  switch (ioctl) {
    case "BO_MMAP_OFFSET":
    case "BO_SET_LABEL":
    case "BO_QUERY_INFO":
    case "GEM_CLOSE":
      return num(a["handle"]);
    case "BO_SYNC":
      return ops("ops").flatMap((o) => num(o["handle"]));
    case "VM_BIND":
      return ops("ops")
        .filter((o) => ((Number(o["flags"]) >>> 0) & DRM_PANTHOR_VM_BIND_OP.TYPE_MASK) === DRM_PANTHOR_VM_BIND_OP.TYPE_MAP)
        .flatMap((o) => num(o["bo_handle"]));
    default:
      return [];
  }
}

/**
 * Handles never cross DRM files: an ioctl that names a GEM handle succeeds only if its own file
 * owned that handle when the ioctl was issued (`GemObjectCreated`/`GemHandleClosed` per file).
 * A success with a handle of another file is a client reaching another client's memory; the
 * violation names the creation of every other file's handle with that number, then the ioctl.
 */
export const handlesStayInFile: InvariantDef = {
  name: "handles-stay-in-file",
  statement: "an ioctl succeeds only with GEM handles of its own DRM file",
  reads: [GemObjectCreated, GemHandleClosed, DrmFileClosed, IoctlIssued, IoctlCompleted],
  create(report) {
    const owned = new Map<string, EventRef>();
    const issued = new Map<string, { ref: EventRef; foreign: { handle: number; owners: EventRef[] }[] }>();
    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(GemObjectCreated, e)) owned.set(`${gpu}/${e.payload.file}/${e.payload.handle}`, refOf(e));
        else if (EventRegistry.is(GemHandleClosed, e)) owned.delete(`${gpu}/${e.payload.file}/${e.payload.handle}`);
        else if (EventRegistry.is(DrmFileClosed, e)) {
          for (const k of [...owned.keys()]) if (k.startsWith(`${gpu}/${e.payload.file}/`)) owned.delete(k);
        } else if (EventRegistry.is(IoctlIssued, e)) {
          const foreign = gemHandlesOf(e.payload.ioctl, e.payload.args)
            .filter((h) => !owned.has(`${gpu}/${e.payload.file}/${h}`))
            .map((handle) => ({ handle, owners: [...owned].filter(([k]) => k.startsWith(`${gpu}/`) && k.endsWith(`/${handle}`)).map(([, r]) => r) }));
          issued.set(`${gpu}/${e.payload.file}/${e.payload.tag}`, { ref: refOf(e), foreign });
        } else if (EventRegistry.is(IoctlCompleted, e)) {
          const key = `${gpu}/${e.payload.file}/${e.payload.tag}`;
          const i = issued.get(key);
          issued.delete(key);
          if (i === undefined || e.payload.ret !== 0) return;
          for (const f of i.foreign) {
            report({
              message: `${e.payload.ioctl} on DRM file ${e.payload.file} succeeded with GEM handle ${f.handle}, which that file does not own`,
              timeNs: e.timeNs, gpu, events: [...f.owners, i.ref, refOf(e)],
            });
          }
        }
      },
      finish() {},
    };
  },
};
