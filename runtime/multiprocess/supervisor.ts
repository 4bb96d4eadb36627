import type { ComposeService } from "./composeServices.ts";
import { startServiceProcess, type ServiceProcess } from "./natsUp.ts";

/** Compose's restart policies that `tyrsim up` follows: restart a process that failed, or never. */
export type RestartPolicy = "on-failure" | "no";

/** Options of a supervised service. */
export interface SupervisorOptions {
  readonly policy: RestartPolicy;
  /** Restarts allowed per service before it is left dead (compose's `on-failure:N`). */
  readonly maxRestarts?: number;
}

/**
 * One service of `tyrsim up` kept running like compose's `restart: on-failure`: when its process
 * dies with a failure (non-zero exit or a signal such as SIGKILL) while the run is on, a new one
 * is started with the same environment; it re-joins the coordinator and rebuilds its actors from
 * the log. A clean exit (the run's end) or `stop()` ends the supervision.
 */
export class SupervisedService {
  private current: ServiceProcess;
  private stopping = false;
  /** Restarts made so far. */
  restarts = 0;
  /** Resolves when the service is down for good (clean exit, stop, policy or restart limit). */
  readonly finished: Promise<void>;

  constructor(
    private readonly svc: ComposeService,
    private readonly index: number,
    private readonly env: Record<string, string>,
    private readonly write: (l: string) => void,
    private readonly opts: SupervisorOptions,
  ) {
    this.current = startServiceProcess(svc, index, env, write);
    this.finished = this.watch();
  }

  /** The service's name. */
  get name(): string {
    return this.svc.name;
  }

  /** The process running now (tests kill it to play a crash). */
  get process(): ServiceProcess {
    return this.current;
  }

  /** No more restarts: a later exit ends the supervision. */
  stop(): void {
    this.stopping = true;
  }

  private async watch(): Promise<void> {
    for (;;) {
      const child = this.current.child;
      const code = await this.current.exited;
      const failed = code !== 0 || child.signalCode !== null;
      if (!failed || this.stopping) return;
      const limit = this.opts.maxRestarts ?? 5;
      const how = child.signalCode !== null ? `killed by ${child.signalCode}` : `exited with code ${code}`;
      if (this.opts.policy === "no" || this.restarts >= limit) {
        this.write(`up: ${this.svc.name} ${how}; not restarted (restart: ${this.opts.policy}${this.opts.policy === "on-failure" ? `, ${limit} restarts used` : ""})`);
        return;
      }
      this.restarts++;
      this.write(`up: ${this.svc.name} ${how}; restarting it (restart ${this.restarts} of ${limit}): it rebuilds from the log`);
      this.current = startServiceProcess(this.svc, this.index, this.env, this.write);
    }
  }
}
