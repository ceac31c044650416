/** How long `stop()` waits by default for a round under way (the HTTP shutdown drain's default bound). */
export const ROUND_STOP_WAIT_MS = 10_000;

/**
 * A job run in rounds every so many seconds (the pruners' `auth.prune_interval`): one round at a
 * time per instance (a call while one runs joins it), a timer that never keeps the process alive,
 * and a bounded wait for the round under way when the application stops (before the connection it
 * uses is closed).
 */
export class PeriodicRound<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;

  /** `onError`: a round the timer started failed (a caller of `runOnce` gets its own rejection). */
  constructor(
    private readonly round: () => Promise<T>,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Whether a round is under way. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** A round every `intervalSeconds` (0 or less: never by itself); a tick while a round runs does nothing. */
  start(intervalSeconds: number): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (intervalSeconds <= 0) return;
    this.timer = setInterval(() => {
      if (!this.running) this.runOnce().catch((error: Error) => this.onError(error));
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  /** One round now, or the one under way. */
  runOnce(): Promise<T> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** No more rounds by the timer; waits for the round under way (whatever its outcome) at most `waitMs`. */
  async stop(waitMs = ROUND_STOP_WAIT_MS): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    let bound: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<void>((resolve) => {
      bound = setTimeout(resolve, waitMs);
      bound.unref();
    });
    try {
      await Promise.race([
        this.running.then(
          () => undefined,
          () => undefined,
        ),
        outOfTime,
      ]);
    } finally {
      clearTimeout(bound);
    }
  }
}
