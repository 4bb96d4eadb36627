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
    this.lines.set(line, { handler, busy: false, again: false });
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
    this.run(line, l);
  }

  private run(name: IrqLineName, l: Line): void {
    l.busy = true;
    l.again = false;
    const end = () => {
      l.busy = false;
      if (l.again && this.lines.get(name) === l) this.run(name, l);
    };
    this.tasks.start(`irq-${name}`, l.handler(), end, (e) => {
      l.busy = false;
      this.onBug(`irq-${name}`)(e);
    });
  }
}
