export interface BenchOptions {
  /** Smaller sizes so the whole run stays under two minutes. */
  quick: boolean;
  /** Progress lines (stderr), so a long run shows where it is. */
  log(message: string): void;
}
