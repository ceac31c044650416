import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicRound } from './periodic-round.js';

/** A round that ends when the test says so. */
function gate<T>() {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('PeriodicRound', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs a round every interval once started, and none after stop', async () => {
    const round = vi.fn(() => Promise.resolve(1));
    const rounds = new PeriodicRound(round, () => undefined);
    rounds.start(2);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(round).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(round).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(round).toHaveBeenCalledTimes(2);
    await rounds.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(round).toHaveBeenCalledTimes(2);
  });

  it('an interval of 0 or less starts no timer', async () => {
    const round = vi.fn(() => Promise.resolve(1));
    const rounds = new PeriodicRound(round, () => undefined);
    rounds.start(0);
    rounds.start(-1);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(round).not.toHaveBeenCalled();
  });

  it('the timer does not keep the process alive', () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const rounds = new PeriodicRound(
      () => Promise.resolve(1),
      () => undefined,
    );
    rounds.start(1);
    const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    void rounds.stop();
  });

  it('a call while a round runs joins it; the next call starts a new one', async () => {
    const first = gate<number>();
    const round = vi.fn().mockReturnValueOnce(first.promise).mockResolvedValueOnce(2);
    const rounds = new PeriodicRound<number>(round, () => undefined);
    const a = rounds.runOnce();
    const b = rounds.runOnce();
    expect(a).toBe(b);
    expect(rounds.busy).toBe(true);
    first.open(1);
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    expect(rounds.busy).toBe(false);
    expect(await rounds.runOnce()).toBe(2);
    expect(round).toHaveBeenCalledTimes(2);
  });

  it('a failed round rejects its callers and leaves the next round free to run', async () => {
    const round = vi.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce(3);
    const rounds = new PeriodicRound<number>(round, () => undefined);
    await expect(rounds.runOnce()).rejects.toThrow('down');
    expect(await rounds.runOnce()).toBe(3);
  });

  it('a failure of a round the timer started goes to onError', async () => {
    const onError = vi.fn();
    const rounds = new PeriodicRound(() => Promise.reject(new Error('down')), onError);
    rounds.start(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'down' }));
    await rounds.stop();
  });

  it('a tick while a round runs starts nothing and reports nothing', async () => {
    const first = gate<number>();
    const round = vi.fn(() => first.promise);
    const onError = vi.fn();
    const rounds = new PeriodicRound<number>(round, onError);
    rounds.start(1);
    const manual = rounds.runOnce();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(round).toHaveBeenCalledTimes(1);
    first.fail(new Error('down'));
    await expect(manual).rejects.toThrow('down');
    expect(onError).not.toHaveBeenCalled();
    await rounds.stop();
  });

  it('stop waits for the round under way, whatever its outcome', async () => {
    const running = gate<number>();
    const rounds = new PeriodicRound<number>(
      () => running.promise,
      () => undefined,
    );
    void rounds.runOnce().catch(() => undefined);
    let stopped = false;
    const stopping = rounds.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);
    running.fail(new Error('down'));
    await stopping;
    expect(stopped).toBe(true);
  });

  it('stop waits at most its bound for a round that does not end', async () => {
    const rounds = new PeriodicRound<number>(
      () => new Promise<number>(() => undefined),
      () => undefined,
    );
    void rounds.runOnce();
    let stopped = false;
    const stopping = rounds.stop(3_000).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop with nothing running ends at once', async () => {
    const rounds = new PeriodicRound(
      () => Promise.resolve(1),
      () => undefined,
    );
    rounds.start(1);
    await rounds.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
