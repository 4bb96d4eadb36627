/**
 * The run side of the client protocol (`clientProtocol.ts`): it answers remote clients' requests
 * on a live embedded run and, while any client is attached, holds virtual time between their
 * requests. Requests are played exactly as the in-process channel plays them
 * (`playRequest` in `services/workload/drmChannel.ts`), so the log does not depend on where the
 * client runs. A bad message (not JSON, wrong shape, unknown event type, invalid payload, a client
 * name that is an actor's) gets an error reply naming the field and reason and changes nothing.
 *
 * I/O shell: messages arrive from the transport between slices of the simulation; the simulation
 * itself only ever sees inputs at virtual times.
 */
import type { Subscription } from "rxjs";
import type { Transport, TransportMessage } from "../../shared/bus/transport.ts";
import type { EventRegistry } from "../../shared/events/registry.ts";
import { nextTurn } from "../../shared/process/eventLoop.ts";
import { INPUT_SOURCES, type RunBounds, type Simulation } from "../../shared/runtime/simulation.ts";
import { DEFAULT_MAX_WAIT_NS, playRequest } from "../../services/workload/drmChannel.ts";
import { clientSubject, ClientRequestSchema, type ClientReply, type ClientRequest } from "./clientProtocol.ts";

/** Options of a {@link ClientGate}. */
export interface ClientGateOptions {
  /** Hold time from the start until the first client attaches (default true: `tyrsim run --clients`). */
  readonly holdUntilFirstAttach?: boolean;
  /** Longest virtual time one request may take (default 60 s). */
  readonly maxWaitNs?: number;
  /** Told about each client that attaches or detaches (for the CLI's messages). */
  readonly onClient?: (client: string, op: "attach" | "detach") => void;
}

const decoder = new TextDecoder();

/** See the module comment. */
export class ClientGate {
  private readonly attached = new Set<string>();
  private readonly inbox: TransportMessage[] = [];
  private wake: (() => void) | undefined;
  private everAttached = false;
  private readonly sub: Subscription;
  private readonly reserved: ReadonlySet<string>;

  constructor(
    private readonly sim: Simulation,
    transport: Transport,
    private readonly registry: EventRegistry,
    private readonly opts: ClientGateOptions = {},
  ) {
    this.sub = transport.subscribe(clientSubject(sim.runId)).subscribe((m) => {
      this.inbox.push(m);
      this.wake?.();
    });
    this.reserved = new Set([...Object.values(INPUT_SOURCES), ...sim.hosted().keys()]);
  }

  /** Whether virtual time must stand still now (a client is attached, or none has come yet and we wait for one). */
  held(): boolean {
    return this.attached.size > 0 || (this.opts.holdUntilFirstAttach !== false && !this.everAttached);
  }

  /**
   * Run the simulation to `bounds`, serving clients between slices and standing still while they
   * hold the clock. Resolves when the run has reached its end (then `finish` it); requests that
   * come later are answered with an error.
   */
  async drive(bounds: RunBounds, slice = 256): Promise<void> {
    for (;;) {
      this.serve(bounds);
      if (this.held()) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (this.inbox.length > 0) resolve();
        });
        this.wake = undefined;
        continue;
      }
      if (!this.sim.advance(bounds, slice)) break;
      await nextTurn();
    }
    this.serve(bounds, true);
  }

  /** Stop listening. */
  close(): void {
    this.sub.unsubscribe();
  }

  private serve(bounds: RunBounds, ended = false): void {
    for (let m = this.inbox.shift(); m !== undefined; m = this.inbox.shift()) m.respond(JSON.stringify(this.answer(m, bounds, ended)));
  }

  private answer(m: TransportMessage, bounds: RunBounds, ended: boolean): ClientReply {
    const now = this.sim.scheduler.nowNs;
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
    if (this.reserved.has(req.client)) return fail(`client: '${req.client}' is the name of a simulation source, not a client`);
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
    const untilNs = bounds.untilNs ?? Number.POSITIVE_INFINITY;
    if (req.op === "advance") {
      this.sim.runUntil(() => false, Math.min(now + req.ns, untilNs));
      return { ok: true, nowNs: this.sim.scheduler.nowNs };
    }
    return this.play(req, untilNs);
  }

  private play(req: Extract<ClientRequest, { op: "request" }>, untilNs: number): ClientReply {
    const def = this.registry.get(req.type);
    const now = this.sim.scheduler.nowNs;
    if (def === undefined) return { ok: false, nowNs: now, error: `type: unknown event type '${req.type}'` };
    const payload = def.payload.safeParse(req.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0];
      return { ok: false, nowNs: now, error: `${["payload", ...(issue?.path.map(String) ?? [])].join(".")}: ${issue?.message ?? "invalid"}` };
    }
    const answer = playRequest(this.sim, req.client, { type: req.type, path: req.path, payload: payload.data, answer: req.answer }, this.opts.maxWaitNs ?? DEFAULT_MAX_WAIT_NS, untilNs);
    const after = this.sim.scheduler.nowNs;
    return answer === undefined
      ? { ok: false, nowNs: after, error: `no answer to ${req.type} by ${after} ns (the run's end, or the request's time limit)` }
      : { ok: true, nowNs: after, answer };
  }
}
