import type { AnyActorScope, AnyStateMachine, EventObject, ExecutableActionObject } from "xstate";

/** The slice of XState's (internal, stable across v5) state-node shape the shortcut reads. */
interface Node {
  readonly id: string;
  readonly type: string;
  readonly parent?: Node;
  readonly states: Readonly<Record<string, Node>>;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly always?: readonly unknown[];
  /** A compound node's initial transition (its actions run on default entry). */
  readonly initial?: { readonly actions: readonly unknown[] };
  /** The machine's output (root) or a final state's: set, the snapshot of a finished machine depends on the context. */
  readonly output?: unknown;
}
/** XState's parsed transition, as `getTransitionData` selects it (guards already evaluated by XState). */
interface Transition {
  readonly source: Node;
  readonly target: readonly Node[] | undefined;
  readonly actions: readonly unknown[];
}
/** The snapshot fields the shortcut reads. */
interface Snapshot {
  readonly status: string;
  readonly context: unknown;
  readonly _nodes: readonly Node[];
}

/**
 * One of XState's built-in actions the shortcut runs as XState does (`resolve`, then `execute`
 * through the executor): `assign`, `cancel`, and `raise` with a delay (the `after` timers). A
 * raise without one goes to XState's internal queue — a second microstep — so it is not here.
 */
interface Builtin {
  readonly type: string;
  resolve(scope: AnyActorScope, snapshot: Snapshot, args: unknown, params: unknown, self: Builtin, extra: { internalQueue: EventObject[] }): [Snapshot, unknown, unknown];
  readonly execute?: (scope: AnyActorScope, params: unknown) => void;
  readonly delay?: unknown;
}

/** An action resolved once: what XState's `resolveAndExecuteActionsWithContext` does with it. */
interface ResolvedAction {
  readonly type: string;
  readonly exec: ((info: unknown, params: unknown) => void) | undefined;
  /** Set for a built-in action (`exec` is then unused). */
  readonly builtin: Builtin | undefined;
  /** Static params, or XState's params function of `{ context, event }`. */
  readonly params: unknown;
  readonly paramsFn: boolean;
}

/** Built-in actions whose `resolve` and `execute` the shortcut may run itself (with a delay, for raise). */
const RUNNABLE_BUILTINS = new Set(["xstate.assign", "xstate.cancel", "xstate.raise"]);

/** A plain transition XState had to take because its target configuration was not known yet: learnt from XState's result. */
export interface Miss {
  from: string | undefined;
  transition: Transition | undefined;
}

/** Shortcuts by machine: one per machine definition, shared by all its hosted instances (`shortcutsFor`). */
const byMachine = new WeakMap<AnyStateMachine, TransitionShortcuts | null>();

/**
 * The shortcuts of `machine`, or null when it has none: a history state anywhere (a snapshot is
 * then more than its configuration and context). A machine with `always` transitions has them,
 * but never in a configuration where an `always` is active (there, XState's eventless step may
 * move the machine after any event, even one that selects nothing).
 */
export function shortcutsFor(machine: AnyStateMachine): TransitionShortcuts | null {
  let s = byMachine.get(machine);
  if (s === undefined) {
    const noHistory = (n: Node): boolean => n.type !== "history" && Object.values(n.states).every(noHistory);
    s = noHistory(machine.root as unknown as Node) ? new TransitionShortcuts(machine) : null;
    byMachine.set(machine, s);
  }
  return s;
}

/** XState's init event (`createInitEvent`): what a machine's context factory and initial entry see. */
const XSTATE_INIT = "xstate.init";

/** Does a configuration hold a node with an `always` transition (XState's eventless step would look at it)? */
function hasAlways(nodes: readonly Node[]): boolean {
  return nodes.some((n) => (n.always?.length ?? 0) > 0);
}

/**
 * XState's `machine.transition(snapshot, event, scope)` for plain transitions, without the
 * macrostep. XState still selects the transitions (`getTransitionData`: its candidates, its guard
 * evaluation, its regions), then:
 *
 * - nothing selected: the same snapshot (XState returns it too, as no `always` is active);
 * - one targetless transition: its actions, and the snapshot they leave (a new context after an
 *   `assign`);
 * - one transition from an atomic state to a sibling atomic state (another child of the same
 *   compound state, in any region): the source's exit actions, the transition's, the target's
 *   entry actions — XState's exit set, transition content and entry set for it — and the snapshot
 *   of the configuration it leads to, learnt from XState the first time any instance of the
 *   machine took it from the same configuration (`learn`), with the context the actions leave;
 * - one transition from an atomic child of the root to a final child of the root (the machine
 *   finishes), when neither the machine nor that state declares an `output`: the same, then the
 *   exit actions of the final state and of the root (XState exits a finished machine's
 *   configuration, innermost first), and the finished snapshot XState made (status `done`).
 *
 * A configuration where an `always` transition is active, before or after, is left to XState.
 * Actions are custom ones, `assign`, `cancel` and delayed `raise` (the `after` timers' own), each
 * run as XState runs it. Anything else — several transitions at once, a target in another
 * compound state, a self-transition, a final state inside a compound state (its done event is a
 * second microstep), another built-in action (an immediate `raise`, `sendTo`, …), an `xstate.*`
 * event other than an `after` timer's, a guard that throws — returns undefined *before any action
 * ran*, and the caller takes XState's own path. Guards are pure (XState's rule), so evaluating
 * them twice changes nothing.
 *
 * A new instance's first snapshot has a shortcut too (`initial`): when the initial configuration
 * has no entry actions, no initial-transition actions and no active `always`, it is the one
 * XState made for the first instance, with the new instance's context (XState's own pre-initial
 * step, the context factory given the input).
 *
 * It reads XState v5 internals (`getTransitionData`, `_getPreInitialState`, state nodes' `parent`/
 * `entry`/`exit`/`output`, a snapshot's `_nodes`, built-in actions' `resolve`/`execute`); the tests
 * that play the same scripts through a real XState actor hold it to the installed version (the
 * lockfile pins it).
 */
export class TransitionShortcuts {
  /** Snapshot → its configuration's key (the active nodes' ids). */
  private readonly keys = new WeakMap<object, string>();
  /** Configuration key → whether an `always` is active in it. */
  private readonly eventless = new Map<string, boolean>();
  /** From a configuration, by transition: the snapshot XState made for where it leads (context aside). */
  private readonly edges = new Map<string, Map<Transition, Snapshot>>();
  /** Action lists resolved once, or null when one is a built-in action the shortcut does not run. */
  private readonly resolved = new WeakMap<readonly unknown[], readonly ResolvedAction[] | null>();
  /** By final state: the exit actions of the configuration it finishes in (its own, then the root's), resolved once. */
  private readonly finishing = new Map<Node, readonly ResolvedAction[] | null>();
  /** The first snapshot XState made for an instance, when a later instance's may be copied from it. */
  private initialTemplate: Snapshot | undefined;
  private readonly root: Node;

  constructor(private readonly machine: AnyStateMachine) {
    this.root = machine.root as unknown as Node;
  }

  /**
   * A new instance's first snapshot for `input`, or undefined for XState's `getInitialSnapshot`
   * (then `learnInitial` its result). The context factory runs in XState's own pre-initial step;
   * should it throw, it runs again on XState's path, which makes the failed snapshot.
   */
  initial(scope: AnyActorScope, input: unknown): Snapshot | undefined {
    const template = this.initialTemplate;
    if (template === undefined) return undefined;
    let pre: Snapshot;
    try {
      pre = (this.machine as unknown as PreInitial)._getPreInitialState(scope, { type: XSTATE_INIT, input }, []);
    } catch {
      return undefined;
    }
    const next = { ...template, context: pre.context };
    this.keys.set(next, this.keyOf(template));
    return next;
  }

  /** Remember XState's first snapshot when entering that configuration runs nothing (no entry or initial actions, no active `always`). */
  learnInitial(snapshot: Snapshot): void {
    if (this.initialTemplate !== undefined || snapshot.status !== "active" || hasAlways(snapshot._nodes)) return;
    if (snapshot._nodes.some((n) => n.entry.length > 0 || (n.initial?.actions.length ?? 0) > 0)) return;
    this.initialTemplate = snapshot;
  }

  /** The snapshot after `event`, or undefined for XState's own path (`miss` then names a transition to `learn`). */
  transition(snapshot: Snapshot, event: EventObject, scope: AnyActorScope, miss: Miss): Snapshot | undefined {
    // XState's own events (init, stop, errors, done) take its path; the `after` timers' events are ordinary ones.
    if (snapshot.status !== "active" || (event.type.startsWith("xstate.") && !event.type.startsWith("xstate.after."))) return undefined;
    const from = this.keyOf(snapshot);
    if (this.eventless.get(from) === true) return undefined;
    let selected: readonly Transition[];
    try {
      selected = this.machine.getTransitionData(snapshot as never, event) as unknown as readonly Transition[];
    } catch {
      return undefined;
    }
    if (selected.length === 0) return snapshot;
    const t = selected[0] as Transition;
    if (selected.length > 1) return undefined;
    const actions = this.resolve(t.actions);
    if (actions === null) return undefined;
    if (t.target === undefined) return execute(actions, snapshot, event, scope);
    const source = t.source;
    const target = t.target.length === 1 ? (t.target[0] as Node) : undefined;
    if (target === undefined || target === source || source.type !== "atomic" || target.parent !== source.parent || source.parent?.type !== "compound") return undefined;
    const finishing = target.type === "final";
    if (finishing ? target.parent !== this.root || target.output !== undefined || this.root.output !== undefined : target.type !== "atomic") return undefined;
    const exit = this.resolve(source.exit);
    const entry = this.resolve(target.entry);
    // A finished machine exits its configuration: the final state, then the root.
    const done = finishing ? this.finishExits(target) : NO_ACTIONS;
    if (exit === null || entry === null || done === null) return undefined;
    const template = this.edges.get(from)?.get(t);
    if (template === undefined) {
      miss.from = from;
      miss.transition = t;
      return undefined;
    }
    let after = execute(exit, snapshot, event, scope);
    after = execute(actions, after, event, scope);
    after = execute(entry, after, event, scope);
    const context = (done.length === 0 ? after : execute(done, after, event, scope)).context;
    if (template.context === context) return template;
    // The snapshot XState made for this configuration (another instance's, or before an assign): the same but for the context.
    const next = { ...template, context };
    this.keys.set(next, this.keyOf(template));
    return next;
  }

  /**
   * Remember where XState took the transition `miss` names (its configuration: the context is
   * always the instance's own) — unless an `always` is active there, or the machine did not end
   * up where the transition leads: in its target (XState's eventless step may have moved on from
   * it), active, or done after a final target.
   */
  learn(miss: Miss, after: Snapshot): void {
    const { from, transition } = miss;
    miss.from = undefined;
    miss.transition = undefined;
    if (from === undefined || transition === undefined) return;
    const target = transition.target?.[0];
    const finishing = target?.type === "final";
    if (after.status !== (finishing ? "done" : "active") || this.eventless.get(this.keyOf(after)) === true) return;
    // The macrostep may have gone on from the target (an `always` there): then it is not where the transition leads.
    if (target !== undefined && !after._nodes.includes(target)) return;
    let out = this.edges.get(from);
    if (out === undefined) this.edges.set(from, (out = new Map()));
    out.set(transition, after);
  }

  private keyOf(snapshot: Snapshot): string {
    let key = this.keys.get(snapshot);
    if (key === undefined) {
      key = snapshot._nodes.map((n) => n.id).sort().join("|");
      this.keys.set(snapshot, key);
      if (!this.eventless.has(key)) this.eventless.set(key, hasAlways(snapshot._nodes));
    }
    return key;
  }

  /** The exit actions XState runs when the machine finishes in the final state `target`: innermost first. */
  private finishExits(target: Node): readonly ResolvedAction[] | null {
    let resolved = this.finishing.get(target);
    if (resolved === undefined) {
      resolved = resolveActions(this.machine, [...target.exit, ...this.root.exit]);
      this.finishing.set(target, resolved);
    }
    return resolved;
  }

  /** `actions` resolved as XState resolves them; null if one is a built-in action the shortcut does not run. */
  private resolve(actions: readonly unknown[]): readonly ResolvedAction[] | null {
    let resolved = this.resolved.get(actions);
    if (resolved !== undefined) return resolved;
    resolved = resolveActions(this.machine, actions);
    this.resolved.set(actions, resolved);
    return resolved;
  }
}

/** No actions (a transition that does not finish the machine). */
const NO_ACTIONS: readonly ResolvedAction[] = [];

/** XState's pre-initial step (`StateMachine._getPreInitialState`): the machine's context from the init event's input. */
interface PreInitial {
  _getPreInitialState(scope: AnyActorScope, initEvent: EventObject & { input: unknown }, internalQueue: EventObject[]): Snapshot;
}

function resolveActions(machine: AnyStateMachine, actions: readonly unknown[]): readonly ResolvedAction[] | null {
  const out: ResolvedAction[] = [];
  const implementations = machine.implementations.actions as Record<string, unknown>;
  for (const action of actions) {
    const inline = typeof action === "function";
    const type = typeof action === "string" ? action : inline ? (action as { name?: string }).name || "(anonymous)" : (action as { type: string }).type;
    const exec = inline ? action : implementations[type];
    if (exec !== undefined && typeof exec !== "function") return null;
    // Built-in actions carry `resolve`: only those the shortcut runs as XState does, the rest (sendTo, spawn, …) take XState's path.
    const builtin = exec !== undefined && "resolve" in exec ? (exec as unknown as Builtin) : undefined;
    if (builtin !== undefined && (!RUNNABLE_BUILTINS.has(builtin.type) || (builtin.type === "xstate.raise" && builtin.delay === undefined))) return null;
    const params = !inline && typeof action === "object" && action !== null && "params" in action ? (action as { params: unknown }).params : undefined;
    out.push({ type, exec: exec as ResolvedAction["exec"], builtin, params, paramsFn: typeof params === "function" });
  }
  return out;
}

/**
 * Run resolved actions as XState's `resolveAndExecuteActionsWithContext` does: custom ones through
 * the scope's executor with the arguments XState gives them, built-in ones resolved against the
 * snapshot so far (an `assign` makes the next one) and executed through the executor. Returns the
 * snapshot the actions leave (a new context after an `assign`).
 */
function execute(list: readonly ResolvedAction[], snapshot: Snapshot, event: EventObject, scope: AnyActorScope): Snapshot {
  let current = snapshot;
  for (const a of list) {
    const context = current.context;
    const info = { context, event, self: scope.self, system: scope.system };
    const params = a.paramsFn ? (a.params as (x: { context: unknown; event: EventObject }) => unknown)({ context, event }) : a.params;
    const builtin = a.builtin;
    if (builtin === undefined) {
      scope.actionExecutor({ type: a.type, info, params, exec: a.exec } as unknown as ExecutableActionObject);
      continue;
    }
    const internalQueue: EventObject[] = [];
    const [next, resolvedParams] = builtin.resolve(scope, current, info, params, builtin, { internalQueue });
    // A delay that did not resolve to a number makes XState raise at once: a second microstep the shortcut cannot take.
    if (internalQueue.length > 0) throw new Error(`action '${builtin.type}' of a shortcut transition raised an event without a delay`);
    current = next;
    const run = builtin.execute;
    if (run !== undefined) scope.actionExecutor({ type: builtin.type, info, params: resolvedParams, exec: run.bind(null, scope, resolvedParams) } as unknown as ExecutableActionObject);
  }
  return current;
}
