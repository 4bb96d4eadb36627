/**
 * The job interrupt (`panthor_job_irq_handler`, panthor_fw.c, run by the `PANTHOR_IRQ_HANDLER`
 * loop): while JOB_INT_STAT has bits, clear them; the first GLOBAL_IF after MCU_CONTROL = AUTO
 * marks the firmware booted (what `panthor_fw_start` waits for); once booted, the bits go to the
 * scheduler (`panthor_sched_report_fw_events`). Every wait on the firmware's acknowledges is
 * woken by the events this handler runs on.
 */
import { JOB_INT_GLOBAL_IF } from "../../../shared/gpu/registerFields.ts";
import { JOB_CONTROL as J } from "../../../shared/gpu/registers.ts";
import { readl, writel, type KTask } from "../ktask.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { reportFwEvents } from "../sched/fwEvents.ts";

/** The threaded handler of the job line. */
export function* jobIrqHandler(kc: KernelCtx): KTask<void> {
  for (;;) {
    const stat = yield* readl(J.JOB_INT_STAT);
    if (stat === 0) return;
    yield* writel(J.JOB_INT_CLEAR, stat);
    const fw = kc.d.fw;
    if (fw === undefined) continue;
    if (!fw.booted && (stat & JOB_INT_GLOBAL_IF) !== 0) fw.booted = true;
    if (fw.booted && fw.ifaces !== undefined) yield* reportFwEvents(kc, stat);
  }
}
