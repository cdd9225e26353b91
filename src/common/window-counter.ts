/** What a counter knows about one key in the current window. */
export interface WindowCount {
  count: number;
  /** Seconds until the key's window ends (at least 1). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counts per key (a client, a tenant, an address), in memory, per instance.
 * Memory is bounded: past `maxKeys` keys, ended windows are swept, then the oldest keys go
 * (an attacker who invents keys resets only the counts of keys as new as its own).
 */
export class WindowCounter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event for `key` and answers the window's count, this one included. */
  hit(key: string): WindowCount {
    const window = this.current(key) ?? this.open(key);
    window.count++;
    return this.view(window);
  }

  /** The window's count without counting anything. */
  peek(key: string): WindowCount {
    return this.view(this.current(key) ?? { count: 0, endsAt: this.now() + this.windowMs });
  }

  private current(key: string) {
    const window = this.windows.get(key);
    return window && window.endsAt > this.now() ? window : undefined;
  }

  private open(key: string) {
    if (this.windows.size >= this.maxKeys) this.sweep();
    const window = { count: 0, endsAt: this.now() + this.windowMs };
    this.windows.delete(key);
    this.windows.set(key, window);
    return window;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(key);
    }
  }

  private view(window: { count: number; endsAt: number }): WindowCount {
    return {
      count: window.count,
      retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000)),
    };
  }
}
