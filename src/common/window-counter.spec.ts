import { WindowCounter } from './window-counter';

describe('WindowCounter', () => {
  it('counts per key within a window and starts again after it', () => {
    let now = 0;
    const counter = new WindowCounter(60_000, 100, () => now);
    expect(counter.hit('a').count).toBe(1);
    expect(counter.hit('a').count).toBe(2);
    expect(counter.hit('b').count).toBe(1);
    now = 59_000;
    expect(counter.peek('a')).toEqual({ count: 2, retryAfterSeconds: 1 });
    now = 60_000;
    expect(counter.peek('a').count).toBe(0);
    expect(counter.hit('a')).toEqual({ count: 1, retryAfterSeconds: 60 });
  });

  it('keeps at most maxKeys keys, dropping ended windows first, then the oldest', () => {
    let now = 0;
    const counter = new WindowCounter(1000, 2, () => now);
    counter.hit('old');
    now = 500;
    counter.hit('a');
    now = 1200;
    counter.hit('b');
    counter.hit('a');
    expect(counter.peek('a').count).toBe(2);
    counter.hit('c');
    expect(counter.peek('a').count).toBe(0);
    expect(counter.peek('b').count).toBe(1);
  });
});
