import type { Envelope } from "../../shared/events/envelope.ts";
import type { Level } from "../../shared/runtime/level.ts";
import { INPUT_SOURCES } from "../../shared/runtime/simulation.ts";
import type { Scenario } from "../../shared/scenario/scenarioSchema.ts";
import { StepSchedule } from "../../shared/scenario/stepSchedule.ts";
import type { PartitionedQueue } from "./partitionedQueue.ts";

/**
 * How many scenario steps are kept queued ahead of the log: enough that partitions run far ahead
 * of each other, few enough that a million repetitions never sit in memory at once.
 */
export const STEPS_AHEAD = 4096;

/**
 * The coordinator's supply of scenario steps: taken from their `StepSchedule` in log order, under
 * the numbers the embedded runtime gives them, and queued ahead of the log — so that no
 * repetition is a barrier for the partitions, as it would be if each were queued on delivery of
 * the last. The first step not queued yet (`nextLevel`) bounds every partition instead.
 */
export class StepFeeder {
  private readonly schedule: StepSchedule;
  /** Steps queued and not logged yet. */
  private ahead = 0;

  constructor(
    private readonly queue: PartitionedQueue,
    scenario: Scenario,
  ) {
    this.schedule = new StepSchedule(scenario);
  }

  /**
   * Keep `STEPS_AHEAD` steps queued — and every step at or before `earliestNs`, the earliest level
   * anything else can happen at, so the run's next level always has its steps.
   */
  topUp(earliestNs: number): void {
    const schedule = this.schedule;
    for (let at = schedule.peekNs(); at !== undefined && (this.ahead < STEPS_AHEAD || at <= earliestNs); at = schedule.peekNs()) {
      const step = schedule.next() as NonNullable<ReturnType<StepSchedule["next"]>>;
      this.queue.scheduled(INPUT_SOURCES.scenario, step.n, step.type, step.path, step.payload, step.atNs);
      this.ahead++;
      if (at < earliestNs) earliestNs = at;
    }
  }

  /** The level of the first step not queued yet: no partition may reach it before it is queued. */
  nextLevel(): Level | undefined {
    const at = this.schedule.peekNs();
    return at === undefined ? undefined : { timeNs: at, depth: 0 };
  }

  /** Count the steps among events just logged (they no longer count as queued ahead). */
  logged(events: readonly Envelope[]): void {
    for (const e of events) if (e.source === INPUT_SOURCES.scenario) this.ahead--;
  }
}
