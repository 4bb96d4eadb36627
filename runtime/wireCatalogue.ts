import { z } from "zod";
import { EnvelopeSchema } from "../shared/events/envelope.ts";
import { InputMessageSchema } from "../shared/events/input.ts";
import type { EventRegistry } from "../shared/events/registry.ts";
import { LogHeaderSchema } from "../shared/log/logFormat.ts";
import { HelloSchema, LevelReplySchema, LevelRequestSchema, RunFinishedSchema, ServiceHealthSchema, WelcomeSchema } from "./multiprocess/protocol.ts";
import { TOOL_VERSION } from "./toolVersion.ts";

/** JSON Schema of a zod schema, as zod's own exporter writes it (inputs: what a sender may send). */
const toSchema = (s: z.ZodType): unknown => z.toJSONSchema(s, { io: "input", unrepresentable: "any" });

/**
 * The open wire protocol as JSON Schema, generated from the zod schemas the services use: the
 * envelope, every event type's payload with its description, outside inputs, the log header and
 * the coordinator messages — what a service written in another language needs to take part.
 */
export function wireCatalogue(registry: EventRegistry): Record<string, unknown> {
  const events: Record<string, unknown> = {};
  for (const def of registry.all()) events[def.type] = { description: def.description, payload: toSchema(def.payload) };
  return {
    $comment: `tyrsim ${TOOL_VERSION} wire catalogue: subjects are tyrsim.<run>.<path>; see README "Multi-process runs".`,
    envelope: toSchema(EnvelopeSchema),
    input: toSchema(InputMessageSchema),
    logHeader: toSchema(LogHeaderSchema),
    coordinator: {
      hello: toSchema(HelloSchema),
      welcome: toSchema(WelcomeSchema),
      levelRequest: toSchema(LevelRequestSchema),
      levelReply: toSchema(LevelReplySchema),
      health: toSchema(ServiceHealthSchema),
      runFinished: toSchema(RunFinishedSchema),
    },
    events,
  };
}
