/**
 * The driver's interrupt lines (`devm_request_threaded_irq` / `panthor_request_irq`, the
 * `PANTHOR_IRQ_HANDLER` pattern of panthor_device.h): a line's threaded handler runs as a kernel
 * task when the line is asserted (`IrqLineChanged`), at most one instance at a time; an assertion
 * while it runs makes it run once more when it ends (the handler itself loops while INT_STAT has
 * bits, so nothing raised while it runs is lost). A line nobody requested is ignored, as an
 * unrequested IRQ would be masked.
 */
import type { KTask } from "./ktask.ts";
import type { KernelTaskRunner } from "./ktaskRunner.ts";

/** A line tyrsim's driver requests through this table. */
export type IrqLineName = "job" | "gpu";

interface Line {
  readonly handler: () => KTask<void>;
  busy: boolean;
  again: boolean;
  /** The handler task's name and completion callbacks, built once per line (a line runs thousands of times). */
  readonly task: string;
  readonly ended: () => void;
  readonly failed: (e: unknown) => void;
}

/** The requested lines of one device. */
export class IrqLines {
  private readonly lines = new Map<IrqLineName, Line>();

  constructor(
    private readonly tasks: KernelTaskRunner,
    private readonly onBug: (where: string) => (e: unknown) => void,
  ) {}

  /** `request_irq`: from now on an assertion of `line` runs `handler`. */
  request(line: IrqLineName, handler: () => KTask<void>): void {
    const l: Line = {
      handler, busy: false, again: false, task: `irq-${line}`,
      ended: () => {
        l.busy = false;
        if (l.again && this.lines.get(line) === l) this.run(l);
      },
      failed: (e) => {
        l.busy = false;
        this.onBug(l.task)(e);
      },
    };
    this.lines.set(line, l);
  }

  /** `free_irq`. */
  free(line: IrqLineName): void {
    this.lines.delete(line);
  }

  /** Whether a handler is installed on `line`. */
  requested(line: IrqLineName): boolean {
    return this.lines.has(line);
  }

  /** The line was asserted: run its handler (or once more after the running one). */
  asserted(line: IrqLineName): void {
    const l = this.lines.get(line);
    if (l === undefined) return;
    if (l.busy) {
      l.again = true;
      return;
    }
    this.run(l);
  }

  private run(l: Line): void {
    l.busy = true;
    l.again = false;
    this.tasks.start(l.task, l.handler(), l.ended, l.failed);
  }
}
