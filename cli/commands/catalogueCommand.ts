import { writeFileSync } from "node:fs";
import { createCatalogue } from "../../services/catalogue.ts";
import { wireCatalogue } from "../../runtime/wireCatalogue.ts";

/** `tyrsim catalogue [-o file]`: the wire protocol as JSON Schema (stdout, or a file). */
export function catalogueCommand(opts: { out?: string }): Promise<number> {
  const text = JSON.stringify(wireCatalogue(createCatalogue()), null, 2) + "\n";
  if (opts.out === undefined) process.stdout.write(text);
  else {
    writeFileSync(opts.out, text);
    process.stderr.write(`wrote ${opts.out}\n`);
  }
  return Promise.resolve(0);
}
