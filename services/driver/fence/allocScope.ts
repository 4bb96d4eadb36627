/**
 * The GFP_NOWAIT scope of the GEM shell: objects whose pages a fence-signalling path is
 * allocating right now must not trigger the shrinker (`memalloc_noreclaim_save()` for one object).
 * Kept apart from `discipline.ts` so `gemShell.ts` can read it without importing the paths that
 * call the shell.
 */
import type { GemCommand } from "../../gem/index.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { disciplineOf } from "./discipline.ts";

/** `cmd` with `noReclaim` set when it populates an object inside a no-reclaim scope. */
export function withAllocScope(d: DriverState, cmd: GemCommand): GemCommand {
  if ((cmd.type === "pin" || cmd.type === "mapOnGpu") && disciplineOf(d).noReclaimObjs.has(cmd.obj)) return { ...cmd, noReclaim: true };
  return cmd;
}
