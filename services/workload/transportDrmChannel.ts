/**
 * The client side of the client protocol (`runtime/clients/clientProtocol.ts`): an
 * {@link AsyncDrmChannel} over a transport — NATS for a client in another process — so
 * `openDeviceAsync` works against a live run (`tyrsim run --nats URL --clients`). Attaching holds
 * the run's virtual time between this client's requests; `detach` lets it go.
 *
 * @example
 * const ch = await transportDrmChannel(await connectNatsTransport({ servers }), "submit-1", "app");
 * await ch.advance(5_000_000);           // let the probe finish
 * const f = await openDeviceAsync(ch);
 * const { out } = await f.ioctl("BO_CREATE", { size: 4096 });
 * await ch.detach();
 */
import type { Transport } from "../../shared/bus/transport.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { clientSubject, ClientReplySchema, type ClientReply, type ClientRequest } from "../../runtime/clients/clientProtocol.ts";
import { DrmChannelError, type AsyncDrmChannel } from "./drmChannel.ts";

/** The run refused a client message (bad request, run ended). */
export class ClientProtocolError extends Error {
  override readonly name = "ClientProtocolError";
  constructor(readonly client: string, readonly op: string, reason: string) {
    super(`${client}: ${op} refused by the run: ${reason}`);
  }
}

/** Options of {@link transportDrmChannel}. */
export interface TransportChannelOptions {
  /** Wall-clock limit of one round trip, ms (default 60 s: a request may simulate a lot). */
  readonly timeoutMs?: number;
}

const decoder = new TextDecoder();

/** Attach `client` to live run `run` over `transport` and return its channel. */
export async function transportDrmChannel(
  transport: Transport,
  run: string,
  client: string,
  opts: TransportChannelOptions = {},
): Promise<AsyncDrmChannel & { detach(): Promise<void> }> {
  let now = 0;
  let tags = 0;
  const send = async (msg: ClientRequest): Promise<ClientReply> => {
    const reply = await transport.request(clientSubject(run), JSON.stringify(msg), { timeoutMs: opts.timeoutMs ?? 60_000 });
    const data = reply.data;
    const parsed = ClientReplySchema.parse(typeof data === "string" ? JSON.parse(data) : data instanceof Uint8Array ? JSON.parse(decoder.decode(data)) : data);
    now = parsed.nowNs;
    return parsed;
  };
  const must = async (msg: ClientRequest): Promise<ClientReply> => {
    const r = await send(msg);
    if (!r.ok) throw new ClientProtocolError(client, msg.op === "request" ? msg.type : msg.op, r.error ?? "no reason given");
    return r;
  };
  await must({ op: "attach", client });
  return {
    client,
    nowNs: () => now,
    nextTag: () => `${client}#${tags++}`,
    async advance(ns: number): Promise<void> {
      await must({ op: "advance", client, ns });
    },
    async request(req): Promise<Envelope> {
      const before = now;
      const r = await send({ op: "request", client, type: req.def.type, path: req.path, payload: req.payload, answer: { types: [...req.answer.types], tag: req.answer.tag } });
      if (r.ok && r.answer !== undefined) return r.answer;
      if (r.error?.startsWith("no answer") === true) throw new DrmChannelError(client, req.def.type, now - before);
      throw new ClientProtocolError(client, req.def.type, r.error ?? "no answer");
    },
    async detach(): Promise<void> {
      await must({ op: "detach", client });
    },
  };
}
