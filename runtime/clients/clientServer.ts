/**
 * The run side of the client protocol (`clientProtocol.ts`), for any runtime behind a
 * {@link ClientRuntime}: it takes clients' messages from the transport, validates them, answers
 * them one at a time in arrival order, and says whether virtual time must stand still (a client
 * is attached, or none has come yet and the run waits for one). A bad message (not JSON, wrong
 * shape, unknown event type, invalid payload, a client name that is one of the simulation's
 * sources) gets an error reply naming the field and reason and changes nothing.
 *
 * I/O shell: messages arrive from the transport between levels; the runtime only ever sees inputs
 * at virtual times. The runtime-specific loops are `clientGate.ts` (embedded) and
 * `coordinatorClients.ts` (multi-process).
 */
import type { Subscription } from "rxjs";
import type { Transport, TransportMessage } from "../../shared/bus/transport.ts";
import type { EventRegistry } from "../../shared/events/registry.ts";
import { DEFAULT_MAX_WAIT_NS } from "../../services/workload/drmChannel.ts";
import { clientSubject, ClientRequestSchema, type ClientReply, type ClientRequest } from "./clientProtocol.ts";
import type { ClientRuntime } from "./clientRuntime.ts";

/** Options of a client server (`tyrsim run --clients`, `tyrsim up --clients`). */
export interface ClientServerOptions {
  /** Hold time from the start until the first client attaches (default true: `--clients`). */
  readonly holdUntilFirstAttach?: boolean;
  /** Longest virtual time one request may take (default 60 s). */
  readonly maxWaitNs?: number;
  /** Told about each client that attaches or detaches (for the CLI's messages). */
  readonly onClient?: (client: string, op: "attach" | "detach") => void;
}

const decoder = new TextDecoder();

/** See the module comment. */
export class ClientServer {
  private readonly attached = new Set<string>();
  private readonly inbox: TransportMessage[] = [];
  private wake: (() => void) | undefined;
  private everAttached = false;
  private readonly sub: Subscription;

  constructor(
    private readonly rt: ClientRuntime,
    transport: Transport,
    private readonly registry: EventRegistry,
    private readonly opts: ClientServerOptions = {},
  ) {
    this.sub = transport.subscribe(clientSubject(rt.runId)).subscribe((m) => {
      this.inbox.push(m);
      this.wake?.();
    });
  }

  /** Whether virtual time must stand still now (a client is attached, or none has come yet and we wait for one). */
  held(): boolean {
    return this.attached.size > 0 || (this.opts.holdUntilFirstAttach !== false && !this.everAttached);
  }

  /**
   * Answer waiting messages, and while time is held wait for more and answer them too; resolves
   * once time may move on. `untilNs` is the run's end: no request plays past it.
   */
  async hold(untilNs: number): Promise<void> {
    for (;;) {
      await this.serve(untilNs);
      if (!this.held()) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.inbox.length > 0) resolve();
      });
      this.wake = undefined;
    }
  }

  /** Answer every waiting message in order; with `ended`, requests are refused (the run is over). */
  async serve(untilNs: number, ended = false): Promise<void> {
    for (let m = this.inbox.shift(); m !== undefined; m = this.inbox.shift()) m.respond(JSON.stringify(await this.answer(m, untilNs, ended)));
  }

  /** Stop listening: from now on a client's request finds no responder. */
  close(): void {
    this.sub.unsubscribe();
  }

  private async answer(m: TransportMessage, untilNs: number, ended: boolean): Promise<ClientReply> {
    const now = this.rt.nowNs();
    const fail = (error: string): ClientReply => ({ ok: false, nowNs: now, error });
    let raw: unknown;
    try {
      raw = typeof m.data === "string" ? JSON.parse(m.data) : m.data instanceof Uint8Array ? JSON.parse(decoder.decode(m.data)) : m.data;
    } catch (e) {
      return fail(`not valid JSON: ${(e as Error).message}`);
    }
    const parsed = ClientRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(`${issue?.path.map(String).join(".") || "(message)"}: ${issue?.message ?? "invalid"}`);
    }
    const req = parsed.data;
    if (this.rt.reserved.has(req.client)) return fail(`client: '${req.client}' is the name of a simulation source, not a client`);
    if (req.op === "attach") {
      this.attached.add(req.client);
      this.everAttached = true;
      this.opts.onClient?.(req.client, "attach");
      return { ok: true, nowNs: now };
    }
    if (req.op === "detach") {
      this.attached.delete(req.client);
      this.opts.onClient?.(req.client, "detach");
      return { ok: true, nowNs: now };
    }
    if (ended) return fail(`the run has ended at ${now} ns`);
    if (req.op === "advance") {
      await this.rt.runTo(Math.min(now + req.ns, untilNs));
      return { ok: true, nowNs: this.rt.nowNs() };
    }
    return this.play(req, untilNs);
  }

  private async play(req: Extract<ClientRequest, { op: "request" }>, untilNs: number): Promise<ClientReply> {
    const def = this.registry.get(req.type);
    const now = this.rt.nowNs();
    if (def === undefined) return { ok: false, nowNs: now, error: `type: unknown event type '${req.type}'` };
    const payload = def.payload.safeParse(req.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0];
      return { ok: false, nowNs: now, error: `${["payload", ...(issue?.path.map(String) ?? [])].join(".")}: ${issue?.message ?? "invalid"}` };
    }
    const answer = await this.rt.play(req.client, { type: req.type, path: req.path, payload: payload.data, answer: req.answer }, this.opts.maxWaitNs ?? DEFAULT_MAX_WAIT_NS, untilNs);
    const after = this.rt.nowNs();
    return answer === undefined
      ? { ok: false, nowNs: after, error: `no answer to ${req.type} by ${after} ns (the run's end, or the request's time limit)` }
      : { ok: true, nowNs: after, answer };
  }
}
