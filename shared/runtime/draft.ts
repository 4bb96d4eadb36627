/**
 * An event on its way to delivery: everything but its log position (`seq`) and run id, plus the
 * source counter `n` that orders it canonically.
 */
export interface Draft {
  readonly id: string;
  readonly timeNs: number;
  readonly depth: number;
  readonly source: string;
  readonly n: number;
  readonly subject: string;
  readonly type: string;
  readonly cause: string | null;
  readonly payload: unknown;
}
