/** One client's count in the current window. */
export interface WindowCount {
  /** Requests counted in this window, the current one included. */
  hits: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetMs: number;
}

/**
 * Fixed windows counted in process: per key, a count and the time its window ends. Constant
 * cost per request and constant memory per client; keys whose window is over are dropped once
 * per window, on the request that finds the sweep due (no timer to stop).
 */
export class FixedWindows {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private sweepAt = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  hit(key: string): WindowCount {
    const now = this.now();
    if (now >= this.sweepAt) this.sweep(now);
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.hits++;
    return { hits: window.hits, resetMs: window.endsAt - now };
  }

  /** Keys with a running window. */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(key);
    }
    this.sweepAt = now + this.windowMs;
  }
}
