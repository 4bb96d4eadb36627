const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escape text for HTML and SVG, in element content and in quoted attribute values alike. Every
 * string that comes from a log (labels, fault specs, messages, ids — all untrusted: a log is a
 * file anyone can edit) goes through this before it reaches the page.
 */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

