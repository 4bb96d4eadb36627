import { subjectOf } from "../../shared/events/subjects.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { buildInjectMessage, validateInject, type InjectMessageOptions } from "./injectMessage.ts";

/** Options of `tyrsim inject`. */
export interface InjectCommandOptions extends InjectMessageOptions {
  readonly nats?: string;
  readonly run?: string;
  /** Validate and print the message, publish nothing. */
  readonly dryRun?: boolean;
}

/**
 * `tyrsim inject <fault…> --nats URL --run RUN [--at T] [--on TYPE --count N --match k=v]`:
 * build a fault input, validate it with the schemas the runtime uses (exit 2 with the reason when
 * it would be rejected), and publish it on `tyrsim.<run>.fault.inject`.
 */
export async function injectCommand(args: readonly string[], opts: InjectCommandOptions): Promise<number> {
  const fail = (why: string) => {
    process.stderr.write(`tyrsim inject: ${why}\n`);
    return 2;
  };
  let message: unknown;
  try {
    message = buildInjectMessage(args, opts);
  } catch (e) {
    return fail((e as Error).message);
  }
  const run = opts.run ?? "RUN";
  const subject = subjectOf(run, INJECT_PATH);
  const checked = validateInject(message, subject, createCatalogue());
  if (!checked.ok) return fail(`rejected: ${checked.rejection.field}: ${checked.rejection.reason}`);
  const text = JSON.stringify(checked.input);
  if (opts.dryRun === true) {
    process.stdout.write(text + "\n");
    return 0;
  }
  if (opts.nats === undefined || opts.run === undefined) return fail("--nats URL and --run RUN are needed to publish (or --dry-run)");
  const { connectNatsTransport } = await import("../../shared/bus/natsTransport.ts");
  const { logPermissionViolations } = await import("../../runtime/multiprocess/permissionLog.ts");
  const transport = await connectNatsTransport({ servers: opts.nats, name: "tyrsim-inject", waitOnFirstConnect: false });
  // A server with subject permissions drops a publish it refuses and says so asynchronously; its
  // -ERR comes before the answer to the flush's PING, so after the flush the refusal is known.
  const refused = logPermissionViolations(transport, "tyrsim inject", () => {});
  transport.publish(subject, text);
  await transport.flush();
  await new Promise((resolve) => setImmediate(resolve));
  await transport.close();
  if (refused.length > 0) {
    process.stderr.write(`${refused.join("\n")}\n(only the injector user may publish faults: TYRSIM_NATS_USER=injector)\n`);
    return 1;
  }
  process.stdout.write(`published ${checked.input.type} on ${subject}: ${text}\n`);
  return 0;
}
