/**
 * One turn of Node's event loop: lets socket reads (NATS messages, outside inputs) run between
 * slices of a live simulation. I/O shell only — the simulation's own time is virtual.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
