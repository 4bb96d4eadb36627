import { writeFileSync } from "node:fs";
import { composeServices, shardServices } from "../../runtime/multiprocess/composeServices.ts";
import { natsDevEnv, natsServerConfig } from "../../runtime/multiprocess/natsPermissions.ts";

/** Options of `tyrsim nats-config`. */
export interface NatsConfigOptions {
  readonly out?: string;
  /** Users for a fleet sharded K ways (`tyrsim up --shards K` names services `<name>-<k>`). */
  readonly shards?: number;
  /** GPUs of the fleet, with --shards. */
  readonly gpus?: number;
  /** Print the development passwords (deploy/nats/dev.env) instead of the configuration. */
  readonly devEnv?: boolean;
}

/**
 * `tyrsim nats-config [-o file] [--shards K --gpus N]`: the nats-server configuration with one
 * user per actor service of docker-compose.yml plus coordinator, injector and auditor, each
 * allowed only its own subjects (deploy/nats/tyrsim.conf is this command's output; with
 * --dev-env, deploy/nats/dev.env: their development passwords).
 */
export function natsConfigCommand(opts: NatsConfigOptions): Promise<number> {
  const services = shardServices(composeServices(), opts.shards ?? 1, opts.gpus ?? 1).map((s) => s.name);
  const text = opts.devEnv === true ? natsDevEnv(services) : natsServerConfig(services);
  if (opts.out === undefined) process.stdout.write(text);
  else {
    writeFileSync(opts.out, text);
    process.stderr.write(`wrote ${opts.out}\n`);
  }
  return Promise.resolve(0);
}
