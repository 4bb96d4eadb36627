import { checkEventFields, checkTopLevel, parserNs, tokenizerNs, type RawEvent } from "./traceFormatCheck.ts";

/** A slice (or thread instant) as Perfetto's slice table would hold it. */
export interface ImportedSlice {
  readonly pid: number;
  readonly tid: number;
  track: string;
  process: string;
  readonly name: string;
  readonly cat: string | undefined;
  readonly tsNs: number;
  /** -1 while open (never closed: an error). */
  durNs: number;
  readonly depth: number;
  args: Record<string, unknown>;
}

/** A flow between two slices (v1: `s`/`f` records; v2: `bind_id`). */
export interface ImportedFlow {
  readonly from: ImportedSlice;
  readonly to: ImportedSlice;
  readonly version: 1 | 2;
}

/** A trace as Perfetto's importer would see it, with every format error found on the way. */
export interface ImportedTrace {
  readonly errors: string[];
  readonly events: number;
  readonly processes: Map<number, string>;
  readonly threads: Map<number, { readonly pid: number; readonly name: string }>;
  readonly slices: ImportedSlice[];
  /** Counter samples by `<process>/<name> <key>` (Perfetto's counter track name). */
  readonly counters: Map<string, { tsNs: number; value: number }[]>;
  readonly flows: ImportedFlow[];
  readonly metadata: Record<string, unknown> | undefined;
}

/** Sort key of Perfetto's JSON sorter at equal timestamps: ends first, longer complete slices before shorter, then file order. */
const sortKey = (ev: RawEvent): number => (ev.ph === "E" ? -Infinity : ev.ph === "X" ? -parserNs(ev.dur as number) : 0);

/**
 * Import Chrome trace JSON the way Perfetto's JSON importer does — sort by (ts, end/duration key,
 * file order), then per track the slice stack of `SliceTracker::MaybeCloseStack` (pop ended
 * slices; an instant stacks on an instant of the same ts), `B`/`E` matched by name, v2 flows
 * (`Begin`/`Step`/`End` on `bind_id`) and v1 flows (bound to the topmost slice of the track) — and
 * report every place where it would drop, truncate or misbind something, plus this project's
 * contract: every track and process named, no slice left open.
 */
export function importChromeTrace(text: string): ImportedTrace {
  const errors: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return empty([`not JSON: ${(e as Error).message}`]);
  }
  errors.push(...checkTopLevel(doc));
  const raw = (Array.isArray(doc) ? doc : ((doc as { traceEvents?: unknown }).traceEvents ?? [])) as unknown[];
  raw.forEach((ev, i) => errors.push(...checkEventFields(ev, i)));
  if (errors.length > 0) return { ...empty(errors), events: raw.length };
  const events = raw as RawEvent[];

  const t: ImportedTrace = { ...empty(errors), events: events.length, metadata: (doc as { metadata?: Record<string, unknown> }).metadata };
  const stacks = new Map<string, { slice: ImportedSlice; pending: boolean }[]>();
  const v2 = new Map<string, ImportedSlice>();
  const v1 = new Map<string, ImportedSlice>();
  const v1Ids = new Set<string>();
  const order = events.map((ev, i) => ({ ev, i, ts: ev.ph === "M" ? 0 : tokenizerNs(ev.ts as number), key: sortKey(ev) }));
  order.sort((a, b) => a.ts - b.ts || a.key - b.key || a.i - b.i);

  for (const { ev, i, ts } of order) {
    const where = `#${i} (${String(ev.ph)} ${String(ev.name ?? "")} @${ts} ns)`;
    const pid = ev.pid as number;
    const tid = (ev.tid as number | undefined) ?? pid;
    const stack = stacks.get(`${pid}/${tid}`) ?? [];
    stacks.set(`${pid}/${tid}`, stack);
    const open = (durNs: number, pending: boolean): ImportedSlice | undefined => {
      if (!closeStack(stack, ts, pending ? null : durNs, where, errors)) return undefined;
      const slice: ImportedSlice = {
        pid, tid, track: "", process: "", name: String(ev.name), cat: ev.cat as string | undefined, tsNs: ts, durNs: pending ? -1 : durNs,
        depth: stack.length, args: { ...(ev.args as Record<string, unknown> | undefined) },
      };
      stack.push({ slice, pending });
      t.slices.push(slice);
      return slice;
    };
    switch (ev.ph) {
      case "M": {
        const name = (ev.args as { name?: string } | undefined)?.name;
        if (ev.name === "process_name" && name !== undefined) t.processes.set(pid, name);
        if (ev.name === "thread_name" && name !== undefined) t.threads.set(tid, { pid, name });
        break;
      }
      case "B":
      case "X":
      case "i":
      case "I": {
        if ((ev.ph === "i" || ev.ph === "I") && ev.s !== undefined && ev.s !== "t") break;
        const slice = open(ev.ph === "X" ? parserNs(ev.dur as number) : 0, ev.ph === "B");
        if (slice !== undefined && ev.bind_id !== undefined) flowV2(t, v2, ev.bind_id, ev.flow_in === true, ev.flow_out === true, slice, where, errors);
        break;
      }
      case "E": {
        closeStack(stack, ts, null, where, errors);
        const top = stack.at(-1);
        if (top === undefined || !top.pending) {
          errors.push(`${where}: E with no open B on top of its track`);
          break;
        }
        if (ev.name !== undefined && ev.name !== top.slice.name) errors.push(`${where}: E named ${String(ev.name)} closes B named ${top.slice.name}`);
        top.slice.durNs = ts - top.slice.tsNs;
        Object.assign(top.slice.args, ev.args);
        stack.pop();
        break;
      }
      case "C":
        for (const [k, v] of Object.entries(ev.args as Record<string, number>)) {
          const key = `${pid}/${String(ev.name)} ${k}`;
          t.counters.set(key, [...(t.counters.get(key) ?? []), { tsNs: ts, value: v }]);
        }
        break;
      case "s":
      case "t":
      case "f": {
        const id = `${String(ev.id)}/${String(ev.cat)}/${String(ev.name)}`;
        v1Ids.add(id);
        const top = stack.at(-1)?.slice;
        if (top === undefined) errors.push(`${where}: v1 flow with no enclosing slice on its track`);
        else if (ev.ph === "s") {
          if (v1.has(id)) errors.push(`${where}: v1 flow ${id} started twice`);
          else v1.set(id, top);
        } else {
          const from = v1.get(id);
          if (from === undefined) errors.push(`${where}: v1 flow ${id} ends before it starts`);
          else t.flows.push({ from, to: top, version: 1 });
          if (ev.ph === "t" && from !== undefined) v1.set(id, top);
        }
        break;
      }
    }
  }
  for (const id of v2.keys()) if (BigInt(id) < BigInt(v1Ids.size)) errors.push(`bind_id ${id} collides with Perfetto's numbering of v1 flows (0..${v1Ids.size - 1})`);
  for (const s of t.slices) {
    const thread = t.threads.get(s.tid);
    s.track = thread?.name ?? "";
    s.process = t.processes.get(s.pid) ?? "";
    if (thread === undefined || thread.pid !== s.pid) errors.push(`track ${s.pid}/${s.tid} of slice ${s.name} has no thread_name in its process`);
    if (!t.processes.has(s.pid)) errors.push(`process ${s.pid} has no process_name`);
    if (s.durNs < 0) errors.push(`slice ${s.name} on ${s.track} at ${s.tsNs} ns is never closed`);
  }
  for (const [key, samples] of [...t.counters]) {
    const [pid, name] = [Number(key.slice(0, key.indexOf("/"))), key.slice(key.indexOf("/") + 1)];
    t.counters.delete(key);
    t.counters.set(`${t.processes.get(pid) ?? pid}/${name}`, samples);
  }
  return t;
}

function empty(errors: string[]): ImportedTrace {
  return { errors, events: 0, processes: new Map(), threads: new Map(), slices: [], counters: new Map(), flows: [], metadata: undefined };
}

/** `SliceTracker::MaybeCloseStack`: pop what ended before `ts`; false when the new slice would overlap without nesting. */
function closeStack(stack: { slice: ImportedSlice; pending: boolean }[], ts: number, durNs: number | null, where: string, errors: string[]): boolean {
  let incompleteDescendant = false;
  for (let i = stack.length - 1; i >= 0; i--) {
    const { slice, pending } = stack[i]!;
    if (pending) {
      incompleteDescendant = true;
      continue;
    }
    const end = slice.tsNs + slice.durNs;
    if (incompleteDescendant) {
      if (ts <= end) continue;
      errors.push(`${where}: ${slice.name} [${slice.tsNs}, ${end}] ends while a slice opened inside it is still open`);
      stack.splice(i);
      incompleteDescendant = false;
      continue;
    }
    if (end < ts || (end === ts && !(slice.durNs === 0 && durNs === 0))) {
      stack.splice(i);
      continue;
    }
    if (durNs !== null && ts < end && ts + durNs > end) {
      errors.push(`${where}: overlaps ${slice.name} [${slice.tsNs}, ${end}] without nesting`);
      return false;
    }
  }
  return true;
}

/** v2 flows: a string `bind_id` is read as hex (`CStringToUInt64(s, 16)`), a number as is. */
function flowV2(t: ImportedTrace, v2: Map<string, ImportedSlice>, bindId: unknown, flowIn: boolean, flowOut: boolean, slice: ImportedSlice, where: string, errors: string[]): void {
  const rawId = String(bindId);
  const id = (typeof bindId === "string" ? BigInt(rawId.startsWith("0x") ? rawId : `0x${rawId}`) : BigInt(rawId)).toString();
  const from = v2.get(id);
  if (flowIn && from === undefined) return void errors.push(`${where}: flow_in on bind_id ${rawId} before its flow_out`);
  if (flowIn) t.flows.push({ from: from!, to: slice, version: 2 });
  if (flowOut && !flowIn && from !== undefined) return void errors.push(`${where}: bind_id ${rawId} started twice`);
  if (flowOut) v2.set(id, slice);
}
