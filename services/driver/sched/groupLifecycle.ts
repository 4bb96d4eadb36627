/**
 * A group's lifecycle (`enum panthor_group_state`, panthor.md §4.1) as a pure decider over the
 * CSG slot outcomes the scheduler observes:
 *
 *   created ──bound──► active ──suspended──► suspended ──bound──► active
 *      │                 │  └──ackTimedOut──► unknown ──terminated──► terminated
 *      └──terminated──►  └──terminated──────────────────────────────► terminated
 *
 * `bound` is a CSG START (from created) or RESUME (from suspended) the firmware acknowledged;
 * `suspended` a SUSPEND acknowledged; `terminated` a TERMINATE acknowledged, or a group killed
 * while off its slot; `ackTimedOut` a slot that did not answer within 100 ms (panthor then needs
 * a GPU reset). Also `group_can_run()` and the GROUP_GET_STATE flags.
 */

/** `enum panthor_group_state`. */
export type GroupState = "created" | "active" | "suspended" | "terminated" | "unknown";

/** What the scheduler saw happen to a group. */
export type GroupEvent = "bound" | "suspended" | "terminated" | "ackTimedOut";

const TRANSITIONS: Readonly<Record<GroupState, Partial<Record<GroupEvent, GroupState>>>> = {
  created: { bound: "active", terminated: "terminated" },
  active: { suspended: "suspended", terminated: "terminated", ackTimedOut: "unknown" },
  suspended: { bound: "active", terminated: "terminated" },
  unknown: { terminated: "terminated" },
  terminated: {},
};

/** The state after `event`, or undefined when the event cannot happen in `state` (a scheduler bug). */
export function groupEvolve(state: GroupState, event: GroupEvent): GroupState | undefined {
  return TRANSITIONS[state][event];
}

/** What `group_can_run()` looks at. */
export interface GroupRunFlags {
  readonly state: GroupState;
  readonly destroyed: boolean;
  readonly fatalQueues: number;
  readonly timedout: boolean;
}

/** `group_can_run()`: not terminated or lost, not destroyed, no fatal queue, not timed out. */
export function groupCanRun(g: GroupRunFlags): boolean {
  return g.state !== "terminated" && g.state !== "unknown" && !g.destroyed && g.fatalQueues === 0 && !g.timedout;
}

/** `enum drm_panthor_group_state_flags`. */
export const DRM_PANTHOR_GROUP_STATE = { TIMEDOUT: 1 << 0, FATAL_FAULT: 1 << 1, INNOCENT: 1 << 2 } as const;

/** GROUP_GET_STATE's `state` word (INNOCENT only from driver 1.3 on). */
export function groupStateFlags(g: { readonly timedout: boolean; readonly fatalQueues: number; readonly innocent: boolean }, minor: number): number {
  let flags = 0;
  if (g.timedout) flags |= DRM_PANTHOR_GROUP_STATE.TIMEDOUT;
  if (g.fatalQueues !== 0) flags |= DRM_PANTHOR_GROUP_STATE.FATAL_FAULT;
  if (g.innocent && minor >= 3) flags |= DRM_PANTHOR_GROUP_STATE.INNOCENT;
  return flags;
}
