import { ImportItem, ImportProcessor } from './import-item';
import { Lookahead } from './import-lookahead';

const options = {};
const items = (first: number, count: number): ImportItem[] =>
  Array.from({ length: count }, (_, i) => ({ index: first + i, value: { n: first + i } }));

function processor(): ImportProcessor & { calls: ImportItem[][] } {
  const calls: ImportItem[][] = [];
  return {
    calls,
    process: () => Promise.resolve([]),
    prepare: (batch) => {
      calls.push(batch);
      return { prepared: batch.length };
    },
  };
}

describe('Lookahead', () => {
  it('hands a kept chunk once, to the same import and chunk only', () => {
    const ahead = new Lookahead();
    ahead.keepChunk('a', 2, ['x']);
    expect(ahead.chunk('a', 3)).toBeUndefined();
    ahead.keepChunk('a', 2, ['x']);
    expect(ahead.chunk('b', 2)).toBeUndefined();
    ahead.keepChunk('a', 2, ['x']);
    expect(ahead.chunk('a', 2)).toEqual(['x']);
    expect(ahead.chunk('a', 2)).toBeUndefined();
  });

  it('prepares after the current turn, and hands it only to the batch it was made for', async () => {
    const p = processor();
    const ahead = new Lookahead();
    ahead.prepare('a', items(10, 5), p, options);
    // Nothing runs until the statement in flight has been sent (setImmediate).
    expect(p.calls).toHaveLength(0);
    expect(await ahead.prepared('a', 10, 5)).toEqual({ prepared: 5 });
    expect(p.calls[0].map((i) => i.index)).toEqual([10, 11, 12, 13, 14]);
    // Taken once.
    expect(await ahead.prepared('a', 10, 5)).toBeUndefined();

    for (const [coi, first, count] of [
      ['b', 10, 5],
      ['a', 11, 5],
      ['a', 10, 4],
    ] as const) {
      ahead.prepare('a', items(10, 5), p, options);
      expect(await ahead.prepared(coi, first, count)).toBeUndefined();
    }
  });

  it('hands nothing over when the preparation throws', async () => {
    const ahead = new Lookahead();
    const failing: ImportProcessor = {
      process: () => Promise.resolve([]),
      prepare: () => {
        throw new Error('not an item error');
      },
    };
    ahead.prepare('a', items(0, 3), failing, options);
    expect(await ahead.prepared('a', 0, 3)).toBeUndefined();
  });

  it('prepares nothing for a processor without prepare or for no items', async () => {
    const ahead = new Lookahead();
    ahead.prepare('a', items(0, 3), { process: () => Promise.resolve([]) }, options);
    expect(await ahead.prepared('a', 0, 3)).toBeUndefined();
    const p = processor();
    ahead.prepare('a', [], p, options);
    expect(p.calls).toHaveLength(0);
  });
});
