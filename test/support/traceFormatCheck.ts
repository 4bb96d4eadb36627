/**
 * Field-level checks of Chrome trace-event JSON as Perfetto's JSON importer reads it
 * (`json_trace_tokenizer.cc`, `json_trace_parser_impl.cc`, `json_utils.cc`; ecosystem.md E.1):
 * what each phase needs, numeric µs timestamps, thread-scoped instants, numeric counter args,
 * well-formed metadata and flow fields. Ordering, nesting and flow matching are checked by
 * traceImport.ts on top of these.
 */

/** One trace event as read back from JSON. */
export type RawEvent = Record<string, unknown>;

const PHASES = new Set(["B", "E", "X", "i", "I", "C", "M", "s", "t", "f", "b", "e", "n"]);
const METADATA = new Set(["process_name", "thread_name", "process_labels", "process_sort_index", "thread_sort_index"]);
/** Phases whose v2 flow fields Perfetto reads (`MaybeAddFlow`); elsewhere they are silently dropped. */
const V2_FLOW_PHASES = new Set(["X", "B", "b", "n"]);

const isUint32 = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/**
 * The nanoseconds Perfetto's tokenizer reads from a µs number: its decimal text shifted three
 * places, extra digits dropped (`CoerceToTs(const std::string&)`).
 */
export function tokenizerNs(us: number): number {
  const text = String(us);
  if (/e/i.test(text)) return Math.trunc(us * 1000);
  const [int, frac = ""] = text.split(".");
  return Number(int + (frac + "000").slice(0, 3));
}

/** The nanoseconds Perfetto's parser reads from a µs JSON double (`(int64_t)(v * 1000.0)`), used for `dur`. */
export const parserNs = (us: number): number => Math.trunc(us * 1000);

/** The problems of one event (index `i` in `traceEvents`), as messages naming the event. */
export function checkEventFields(ev: unknown, i: number): string[] {
  if (!isObject(ev)) return [`#${i}: not an object`];
  const errors: string[] = [];
  const fail = (msg: string) => errors.push(`#${i} (${String(ev.ph)} ${String(ev.name ?? "")}): ${msg}`);
  const ph = ev.ph;
  if (typeof ph !== "string" || !PHASES.has(ph)) return [`#${i}: unknown ph ${JSON.stringify(ph)}`];
  if (!isUint32(ev.pid)) fail("pid must be an integer in [0, 2^32)");
  if (ev.tid !== undefined && !isUint32(ev.tid)) fail("tid must be an integer in [0, 2^32)");
  if (ev.name !== undefined && typeof ev.name !== "string") fail("name must be a string");
  if (ev.args !== undefined && !isObject(ev.args)) fail("args must be an object");
  if (ph !== "M" && !isTime(ev.ts)) fail("ts must be a number ≥ 0 (µs)");
  if (ph === "M" && ev.ts !== undefined && !isTime(ev.ts)) fail("ts must be a number ≥ 0 (µs)");
  // Older importers read ts as a double too: both readings must give the same nanosecond.
  if (isTime(ev.ts) && tokenizerNs(ev.ts) !== parserNs(ev.ts)) fail(`ts ${ev.ts} reads as ${tokenizerNs(ev.ts)} or ${parserNs(ev.ts)} ns`);
  const needsTid = () => ev.tid === undefined && fail("needs a tid");
  switch (ph) {
    case "X":
      if (!isName(ev.name)) fail("needs a name");
      if (!isTime(ev.dur)) fail("dur must be a number ≥ 0 (µs)");
      else if (tokenizerNs(ev.dur) !== parserNs(ev.dur)) fail(`dur ${ev.dur} reads as ${tokenizerNs(ev.dur)} ns in the sorter but ${parserNs(ev.dur)} ns in the parser`);
      needsTid();
      break;
    case "B":
      if (!isName(ev.name)) fail("needs a name");
      needsTid();
      break;
    case "E":
      needsTid();
      break;
    case "i":
    case "I":
      if (ev.s !== undefined && ev.s !== "t" && ev.s !== "p" && ev.s !== "g") fail(`scope s must be t, p or g, not ${JSON.stringify(ev.s)}`);
      if (ev.s === undefined || ev.s === "t") needsTid();
      break;
    case "C":
      if (!isName(ev.name)) fail("needs a name");
      if (!isObject(ev.args) || Object.keys(ev.args).length === 0) fail("needs args with at least one value");
      else for (const [k, v] of Object.entries(ev.args)) if (typeof v !== "number" || !Number.isFinite(v)) fail(`counter value ${k} must be a finite number`);
      break;
    case "M":
      if (!METADATA.has(String(ev.name))) fail(`unknown metadata ${JSON.stringify(ev.name)}`);
      if ((ev.name === "process_name" || ev.name === "thread_name") && !isName((ev.args as { name?: unknown } | undefined)?.name)) fail("needs args.name");
      if (ev.name === "thread_name") needsTid();
      break;
    case "s":
    case "t":
    case "f":
      if (ev.id === undefined) fail("v1 flow needs an id");
      if (ph === "f" && ev.bp !== "e") fail('v1 flow end should bind the enclosing slice (bp:"e")');
      needsTid();
      break;
    case "b":
    case "e":
    case "n":
      if (ev.id === undefined && !isObject(ev.id2)) fail("async slice needs id or id2");
      break;
  }
  if (ev.bind_id !== undefined) {
    if (!V2_FLOW_PHASES.has(ph)) fail(`bind_id is ignored on ph ${ph} (only X, B, b, n carry v2 flows)`);
    if (ev.flow_in !== true && ev.flow_out !== true) fail("bind_id without flow_in or flow_out");
  }
  for (const k of ["flow_in", "flow_out"]) if (ev[k] !== undefined && typeof ev[k] !== "boolean") fail(`${k} must be a boolean`);
  return errors;
}

/** The problems of the top-level object: `traceEvents` array, `displayTimeUnit`, `metadata`. */
export function checkTopLevel(doc: unknown): string[] {
  if (Array.isArray(doc)) return [];
  if (!isObject(doc)) return ["a trace is a JSON object or array"];
  const errors: string[] = [];
  if (!Array.isArray(doc.traceEvents)) errors.push("traceEvents must be an array");
  if (doc.displayTimeUnit !== undefined && doc.displayTimeUnit !== "ns" && doc.displayTimeUnit !== "ms") errors.push('displayTimeUnit must be "ns" or "ms"');
  if (doc.metadata !== undefined && !isObject(doc.metadata)) errors.push("metadata must be an object");
  return errors;
}
