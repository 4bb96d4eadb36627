import type { Command } from "commander";
import { auditCommand } from "./auditCommand.ts";
import { faultsCommand } from "./faultsCommand.ts";
import { injectCommand, type InjectCommandOptions } from "./injectCommand.ts";

/** Argument parsers `cli/main.ts` shares with its commands. */
export interface ArgParsers {
  readonly integer: (v: string) => number;
  readonly collect: (v: string, prev?: string[]) => string[];
}

/** Register `tyrsim faults`, `tyrsim inject` and `tyrsim audit` on the program (one call from `cli/main.ts`). */
export function registerFaultCommands(program: Command, guarded: (body: () => Promise<number>) => Promise<void>, parse: ArgParsers): void {
  program
    .command("faults")
    .description("list the fault catalogue: each kind, what it does, its fields and triggers")
    .option("--json", "print the catalogue as JSON")
    .action((opts: { json?: boolean }) => guarded(() => faultsCommand(opts)));

  program
    .command("inject")
    .description("publish a fault on a live run's fault.inject subject (validated first; exit 2 if it would be rejected)")
    .argument("<fault...>", "a kind and key=value fields (job-hang job=j3), or JSON: a fault, a FaultInjected payload or a whole input")
    .option("--nats <url>", "NATS server of the run")
    .option("--run <id>", "the run to inject into (<scenario>-<seed>)")
    .option("--at <time>", "virtual time to act at (250us, 5ms, or ns); default: the run's next instant")
    .option("--on <eventType>", "trigger: count events of this type (see `tyrsim faults` for each kind's)")
    .option("--count <n>", "trigger: fire on the Nth matching event (default 1)", parse.integer)
    .option("--match <key=value>", "trigger: payload field the event must have (repeatable)", parse.collect)
    .option("--label <text>", "a name for the fault in reports")
    .option("--dry-run", "validate and print the message; publish nothing")
    .action((fault: string[], opts: InjectCommandOptions) => guarded(() => injectCommand(fault, opts)));

  program
    .command("audit")
    .description("audit a log: faults injected, what failed and why, recovery, invariants (exit 1 if an invariant broke)")
    .argument("<log>", "a JSON-lines log (runs/<run>/events.jsonl)")
    .option("--json", "print the report as JSON")
    .option("--html <file>", "also write the report as a self-contained HTML page with a timeline picture")
    .action((log: string, opts: { json?: boolean; html?: string }) => guarded(() => auditCommand(log, opts)));
}
