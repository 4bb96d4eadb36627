import type { AnyActorScope, AnyStateMachine, EventObject, ExecutableActionObject } from "xstate";

/**
 * The slice of XState's (internal, stable across v5) state-node shape the fast path reads. A
 * transition is XState's own parsed definition: its guard was evaluated by XState's `next`.
 */
interface FlatNode {
  readonly type: string;
  readonly key: string;
  readonly parent?: FlatNode;
  readonly states: Readonly<Record<string, FlatNode>>;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly always?: readonly unknown[];
  next(snapshot: unknown, event: EventObject): readonly FlatTransition[] | undefined;
}
interface FlatTransition {
  readonly target: readonly FlatNode[] | undefined;
  readonly actions: readonly unknown[];
}
/** The snapshot fields the fast path reads. */
interface FlatSnapshot {
  readonly status: string;
  readonly value: unknown;
  readonly context: unknown;
}

/** One custom action, resolved once: what XState's `resolveAndExecuteActionsWithContext` hands the executor. */
interface ResolvedAction {
  readonly type: string;
  readonly exec: ((info: unknown, params: unknown) => void) | undefined;
  /** Static params, or XState's params function of `{ context, event }`. */
  readonly params: unknown;
  readonly paramsFn: boolean;
}

/** Machines that qualify (every state a direct, atomic child of the root, no eventless transitions), by machine. */
const flatMachines = new WeakMap<AnyStateMachine, boolean>();
/** Action lists resolved to custom actions, or null when one is built in (assign, raise, cancel, …). */
const resolvedLists = new WeakMap<readonly unknown[], readonly ResolvedAction[] | null>();

/**
 * Does `machine` qualify for the fast path: a compound root whose states are all atomic (no
 * nesting, parallel regions, history or final states) and no `always` anywhere? Then a snapshot
 * is its state value and its context, and a transition between two states is exit, transition
 * and entry actions — nothing else for XState's microstep to work out.
 */
export function isFlatMachine(machine: AnyStateMachine): boolean {
  let flat = flatMachines.get(machine);
  if (flat === undefined) {
    const root = machine.root as unknown as FlatNode;
    const children = Object.values(root.states);
    flat = root.type === "compound" && (root.always?.length ?? 0) === 0 && children.length > 0 && children.every((s) => s.type === "atomic" && (s.always?.length ?? 0) === 0);
    flatMachines.set(machine, flat);
  }
  return flat;
}

/** `actions` as custom actions of `machine`, resolved as XState resolves them; null if any is built in. */
function resolveList(machine: AnyStateMachine, actions: readonly unknown[]): readonly ResolvedAction[] | null {
  let resolved = resolvedLists.get(actions);
  if (resolved !== undefined) return resolved;
  const out: ResolvedAction[] = [];
  const implementations = machine.implementations.actions as Record<string, unknown>;
  for (const action of actions) {
    const inline = typeof action === "function";
    const type = typeof action === "string" ? action : inline ? (action as { name?: string }).name || "(anonymous)" : (action as { type: string }).type;
    const exec = inline ? action : implementations[type];
    // Built-in actions (assign, raise, cancel, sendTo, …) carry `resolve`: XState's own path only.
    if (exec !== undefined && (typeof exec !== "function" || "resolve" in exec)) {
      out.length = 0;
      resolvedLists.set(actions, null);
      return null;
    }
    const hasParams = !inline && typeof action === "object" && action !== null && "params" in action;
    const params = hasParams ? (action as { params: unknown }).params : undefined;
    out.push({ type, exec: exec as ResolvedAction["exec"], params, paramsFn: typeof params === "function" });
  }
  resolvedLists.set(actions, (resolved = out));
  return resolved;
}

/** Run resolved actions through the scope's executor with the arguments XState gives them. */
function execute(list: readonly ResolvedAction[], context: unknown, event: EventObject, scope: AnyActorScope): void {
  for (const a of list) {
    const info = { context, event, self: scope.self, system: scope.system };
    const params = a.paramsFn ? (a.params as (x: { context: unknown; event: EventObject }) => unknown)({ context, event }) : a.params;
    scope.actionExecutor({ type: a.type, info, params, exec: a.exec } as unknown as ExecutableActionObject);
  }
}

/**
 * XState's `machine.transition(snapshot, event, scope)` for the common cases of a flat machine
 * (`isFlatMachine`), without the macrostep: the active state's transition is selected by XState's
 * own `StateNode.next` (candidates and guards, as XState evaluates them), then
 *
 * - no transition enabled, here or on the root: the same snapshot (XState returns it too);
 * - a targetless transition with custom actions: its actions, the same snapshot;
 * - a transition to another state with custom actions, exit and entry actions: the source's exit
 *   actions, the transition's, the target's entry actions — XState's order — and the target's
 *   snapshot from `known` (a snapshot XState made earlier for that state, with this context).
 *
 * Anything else — a root transition, a self-transition, a built-in action (`assign`, `raise`, the
 * `after` timers' raise/cancel), a target with no known snapshot, an internal `xstate.*` event,
 * a guard that throws — returns undefined *before any action ran*, and the caller takes XState's
 * own path. Guards are pure (XState's rule), so evaluating one twice changes nothing.
 */
export function flatTransition(
  machine: AnyStateMachine,
  snapshot: FlatSnapshot,
  event: EventObject,
  scope: AnyActorScope,
  known: ReadonlyMap<string, FlatSnapshot>,
): FlatSnapshot | undefined {
  if (snapshot.status !== "active" || typeof snapshot.value !== "string" || event.type.startsWith("xstate.")) return undefined;
  const root = machine.root as unknown as FlatNode;
  const node = root.states[snapshot.value];
  if (node === undefined) return undefined;
  let selected: readonly FlatTransition[] | undefined;
  try {
    selected = node.next(snapshot, event);
    if (selected === undefined && root.next(snapshot, event) !== undefined) return undefined;
  } catch {
    return undefined;
  }
  const t = selected?.[0];
  if (t === undefined) return snapshot;
  const actions = resolveList(machine, t.actions);
  if (actions === null) return undefined;
  if (t.target === undefined) {
    execute(actions, snapshot.context, event, scope);
    return snapshot;
  }
  const target = t.target.length === 1 ? t.target[0] : undefined;
  if (target === undefined || target === node || target.parent !== root) return undefined;
  const next = known.get(target.key);
  if (next === undefined || next.context !== snapshot.context) return undefined;
  const exit = resolveList(machine, node.exit);
  const entry = resolveList(machine, target.entry);
  if (exit === null || entry === null) return undefined;
  execute(exit, snapshot.context, event, scope);
  execute(actions, snapshot.context, event, scope);
  execute(entry, snapshot.context, event, scope);
  return next;
}
