import { natsEnvCredentials } from "../../shared/bus/natsTransport.ts";
import { LOG_STREAM, LOG_SUBJECT_ROOT } from "../../shared/log/jetstreamStream.ts";
import { ctlSubjects } from "./protocol.ts";

/**
 * Who may publish and subscribe to what on the NATS server of a multi-process run, derived from
 * the subject layout of `protocol.ts` (control subjects), `outsideInputs.ts` (the inject subject)
 * and the JetStream log (stream TYRSIM_LOG, subjects `tyrsimlog.<run>`). `*` stands for the run
 * id, so one server configuration serves every run.
 *
 * Services never publish actor events on NATS: what their actors publish goes back to the
 * coordinator inside level replies (answered with `allow_responses`), and only the coordinator
 * mirrors delivered events on their subjects. So a service's own subjects are its Hello, its
 * health and its replies; everything else it might publish (a fault, another service's control
 * subject, an event subject) is refused by the server.
 */
export interface NatsUserPermissions {
  readonly user: string;
  /** What the user is, for the comment above it in the configuration. */
  readonly role: string;
  readonly publish: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  /** May publish to the reply subject of a request it received (and only while answering it). */
  readonly allowResponses: boolean;
}

/** The subject of outside inputs of any run: only the injector user may publish on it. */
export const INJECT_SUBJECTS = "tyrsim.*.fault.inject";

/** The client-API subject of any run (`runtime/clients/clientProtocol.ts`): only the client user sends on it, the coordinator answers. */
export const CLIENT_SUBJECTS = "tyrsim.*.ctl.client";

/**
 * JetStream API subjects that only read the log stream: stream info, message get, ordered
 * (ephemeral) consumers and their pulls. No create/update/purge/delete of the stream, no publish
 * into it.
 */
const JS_READ_API = [
  "$JS.API.INFO",
  `$JS.API.STREAM.INFO.${LOG_STREAM}`,
  `$JS.API.STREAM.MSG.GET.${LOG_STREAM}`,
  `$JS.API.DIRECT.GET.${LOG_STREAM}`,
  `$JS.API.DIRECT.GET.${LOG_STREAM}.>`,
  `$JS.API.CONSUMER.CREATE.${LOG_STREAM}`,
  `$JS.API.CONSUMER.CREATE.${LOG_STREAM}.>`,
  `$JS.API.CONSUMER.INFO.${LOG_STREAM}.>`,
  `$JS.API.CONSUMER.DELETE.${LOG_STREAM}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${LOG_STREAM}.>`,
];

/** A control subject of `ctlSubjects`: who publishes on it and who listens (observers: anyone read-only). */
interface ControlRole {
  readonly publisher: "coordinator" | "service";
  readonly subscriber: "coordinator" | "service" | "observer";
}

/**
 * Who publishes each control subject of `protocol.ts`. A `Record` over `ctlSubjects`' keys: a
 * control subject added there does not compile until it is given its publisher here, so the
 * server configuration can never silently miss one.
 */
const CONTROL_ROLES: Record<keyof ReturnType<typeof ctlSubjects>, ControlRole> = {
  hello: { publisher: "service", subscriber: "coordinator" },
  service: { publisher: "coordinator", subscriber: "service" },
  end: { publisher: "coordinator", subscriber: "service" },
  health: { publisher: "service", subscriber: "coordinator" },
  status: { publisher: "coordinator", subscriber: "observer" },
  kill: { publisher: "coordinator", subscriber: "service" },
};

/** The control subjects (any run) matching `pick`; a per-service subject (a function of the name) for `service` (a name or `*`). */
function controlSubjects(pick: (r: ControlRole) => boolean, service: string): string[] {
  const ctl = ctlSubjects("*");
  return (Object.keys(CONTROL_ROLES) as (keyof typeof CONTROL_ROLES)[])
    .filter((k) => pick(CONTROL_ROLES[k]))
    .map((k) => {
      const subject = ctl[k];
      return typeof subject === "function" ? subject(service) : subject;
    });
}

/** The users of a deployment whose actor services are `services` (compose names, shards included). */
export function natsUsers(services: readonly string[]): NatsUserPermissions[] {
  const users: NatsUserPermissions[] = [
    {
      user: "coordinator",
      role: "owns virtual time: level requests, run end, status, mirror of delivered events, the JetStream log",
      // Every event subject (the mirror), its control subjects, the log; never an input or a service's subject.
      publish: {
        allow: ["tyrsim.>", `${LOG_SUBJECT_ROOT}.>`, "$JS.API.>", "_INBOX.>"],
        deny: [INJECT_SUBJECTS, CLIENT_SUBJECTS, ...controlSubjects((r) => r.publisher === "service", "*")],
      },
      subscribe: { allow: [...controlSubjects((r) => r.subscriber === "coordinator", "*"), INJECT_SUBJECTS, CLIENT_SUBJECTS, "_INBOX.>"] },
      allowResponses: true,
    },
    {
      user: "injector",
      role: "outside inputs (tyrsim inject, any fault client); may watch the run",
      publish: { allow: [INJECT_SUBJECTS] },
      subscribe: { allow: ["tyrsim.>", "_INBOX.>"] },
      allowResponses: false,
    },
    {
      user: "client",
      role: "user-space clients of a run served with --clients (the client API over NATS); may watch the run",
      publish: { allow: [CLIENT_SUBJECTS] },
      subscribe: { allow: ["tyrsim.>", "_INBOX.>"] },
      allowResponses: false,
    },
    {
      user: "auditor",
      role: "read-only: follows live runs (tail, status) and reads the JetStream log (export, replay, audit)",
      publish: { allow: JS_READ_API },
      subscribe: { allow: ["tyrsim.>", "_INBOX.>"] },
      allowResponses: false,
    },
  ];
  for (const s of services) {
    users.push({
      user: s,
      role: `actor service ${s}: Hello, health, replies to its level requests; reads the log to rebuild after a restart`,
      publish: { allow: [...controlSubjects((r) => r.publisher === "service", s), ...JS_READ_API] },
      subscribe: { allow: [...controlSubjects((r) => r.subscriber === "service", s), "_INBOX.>"] },
      allowResponses: true,
    });
  }
  return users;
}

/** The environment variable holding `user`'s password: `TYRSIM_NATS_PASS_<USER>` (upper case, `-` → `_`). */
export function passwordVariable(user: string): string {
  return `TYRSIM_NATS_PASS_${user.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;

/**
 * The nats-server configuration (its own format) for `natsUsers(services)`. Passwords are never
 * written into it: each is the server's environment variable `passwordVariable(user)`, so a server
 * started without them refuses to start instead of running open.
 */
export function natsServerConfig(services: readonly string[]): string {
  const lines = [
    "# tyrsim: users and subject permissions of a multi-process run (NATS server 2.9).",
    "# Generated by `tyrsim nats-config` from the code's subject layout; do not edit by hand",
    "# (test/permissions.test.ts checks this file against the generator).",
    "# Each password comes from the server's environment: TYRSIM_NATS_PASS_<USER>.",
    "authorization {",
    "  users = [",
  ];
  for (const u of natsUsers(services)) {
    const rule = (r: NatsUserPermissions["publish"]) => `{ allow: ${list(r.allow)}${r.deny !== undefined ? `, deny: ${list(r.deny)}` : ""} }`;
    lines.push(
      `    # ${u.role}`,
      `    { user: ${JSON.stringify(u.user)}, password: $${passwordVariable(u.user)}, permissions: {`,
      `        publish: ${rule(u.publish)}`,
      `        subscribe: ${rule(u.subscribe)}`,
      ...(u.allowResponses ? ["        allow_responses: true"] : []),
      "    } }",
    );
  }
  lines.push("  ]", "}", "");
  return lines.join("\n");
}

/**
 * The credentials of a process that knows its user name (`tyrsim up` starting the coordinator or
 * a service): TYRSIM_NATS_USER / TYRSIM_NATS_PASS when set, else `user` with the password in
 * `passwordVariable(user)` when that is set, else none (an open server).
 */
export function credentialsFor(user: string, env: NodeJS.ProcessEnv = process.env): { user?: string; pass?: string } {
  const given = natsEnvCredentials(env);
  if (given.user !== undefined) return given;
  const pass = env[passwordVariable(user)];
  return pass !== undefined && pass !== "" ? { user, pass } : {};
}

/**
 * Development passwords for every user of `natsServerConfig(services)` as a shell/env file
 * (`dev-<user>`, the defaults docker-compose.yml uses): what `set -a; . deploy/nats/dev.env`
 * gives both the server and `tyrsim up`.
 */
export function natsDevEnv(services: readonly string[]): string {
  const lines = [
    "# Development passwords of deploy/nats/tyrsim.conf's users (the defaults of docker-compose.yml).",
    "# Generated by `tyrsim nats-config --dev-env`. Local use:",
    "#   set -a; . deploy/nats/dev.env; set +a",
    "#   nats-server -c deploy/nats/tyrsim.conf -js -p 4333 &",
    "#   npx tyrsim up scenarios/probe.yaml --nats nats://127.0.0.1:4333",
    "# `tyrsim up` logs the coordinator and each service in as itself from these variables; other",
    "# commands log in with TYRSIM_NATS_USER / TYRSIM_NATS_PASS (injector for `tyrsim inject`,",
    "# auditor for `tyrsim status`, `tail --nats`, `export`).",
    ...natsUsers(services).map((u) => `${passwordVariable(u.user)}=dev-${u.user}`),
    "",
  ];
  return lines.join("\n");
}
