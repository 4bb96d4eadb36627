/** Wall-clock milliseconds, for the CLI's own reporting (rates, elapsed time) — never for simulation. */
export function wallClock(): number {
  return performance.now();
}
