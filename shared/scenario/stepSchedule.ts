import { BinaryHeap } from "../time/binaryHeap.ts";
import type { Scenario } from "./scenarioSchema.ts";

/** One scenario step's input, numbered: it is logged as `scenario:<n>` at `atNs`, depth 0. */
export interface ScheduledStep {
  /** The input's number among the run's scenario inputs (its id is `scenario:<n>`). */
  readonly n: number;
  readonly atNs: number;
  /** The step's path, `{gpu}` already filled in. */
  readonly path: string;
  readonly type: string;
  readonly payload: unknown;
}

/** A repeated step for one path: its next repetition and how many are left after it. */
interface Chain {
  readonly path: string;
  readonly type: string;
  readonly payload: unknown;
  readonly every: number;
  /** Repetitions after the one at `atNs`. */
  left: number;
  atNs: number;
  n: number;
}

const chainLess = (a: Chain, b: Chain): boolean => a.atNs < b.atNs || (a.atNs === b.atNs && a.n < b.n);

/**
 * A scenario's steps as the run's inputs, in log order, each with the number it gets — computed
 * from the scenario alone. The embedded runtime queues repetitions lazily (`queueSteps`): each
 * delivery of a repeated step queues and numbers the next. Scenario inputs are all at depth 0 and
 * ordered among themselves by (time, number), whatever the actors do; a repetition comes strictly
 * later than the one before it (`every` > 0, which the scenario schema requires); and the counter
 * is theirs alone; so the numbers the lazy queueing hands out are a function of the steps, and this
 * schedule hands out the same ones, in the same order, without waiting for any delivery. That is
 * what lets the multi-process coordinator queue repetitions ahead of the log, instead of making
 * each one a barrier that every partition of a fleet must reach first (`Coordinator.queueSteps`).
 * Pulled one at a time (`next`): a million repetitions never sit in memory at once.
 */
export class StepSchedule {
  private readonly chains = new BinaryHeap<Chain>(chainLess);
  private counter = 0;

  constructor(private readonly scenario: Scenario) {
    for (const step of scenario.steps) {
      // A path with `{gpu}` is one step per GPU of the fleet, in GPU order (as `queueSteps`).
      const paths = step.path.includes("{gpu}") ? Array.from({ length: scenario.gpus }, (_, g) => step.path.replaceAll("{gpu}", String(g))) : [step.path];
      for (const path of paths) {
        if (step.count < 1 || step.at > scenario.duration) continue;
        this.chains.push({ path, type: step.type, payload: step.payload, every: step.every ?? 0, left: step.count - 1, atNs: step.at, n: this.counter++ });
      }
    }
  }

  /** The time of the next input, or undefined once every step has been taken. */
  peekNs(): number | undefined {
    return this.chains.peek()?.atNs;
  }

  /** Take the next input in log order; its repetition (if any is left within the run) is numbered now, as delivering it would. */
  next(): ScheduledStep | undefined {
    const chain = this.chains.pop();
    if (chain === undefined) return undefined;
    const step: ScheduledStep = { n: chain.n, atNs: chain.atNs, path: chain.path, type: chain.type, payload: chain.payload };
    const at = chain.atNs + chain.every;
    if (chain.left > 0 && at <= this.scenario.duration) {
      chain.left--;
      chain.atNs = at;
      chain.n = this.counter++;
      this.chains.push(chain);
    }
    return step;
  }
}
