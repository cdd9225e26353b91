import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes a lone item at once and batches what arrives during a write', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
    });
    const first = commit.add(1);
    const rest = [commit.add(2), commit.add(3), commit.add(4)];
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects every item of a failed write, and goes on with later ones', async () => {
    let fail = true;
    const written: number[] = [];
    const commit = new GroupCommit<number>(async (items) => {
      await Promise.resolve();
      if (fail) throw new Error('database down');
      written.push(...items);
    });
    const failed = commit.add(1);
    await expect(failed).rejects.toThrow('database down');
    fail = false;
    await commit.add(2);
    expect(written).toEqual([2]);
  });

  it('caps a batch at maxBatch items', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number>(async (items) => {
      sizes.push(items.length);
      if (sizes.length === 1) await gate;
    }, 2);
    const all = [1, 2, 3, 4, 5, 6].map((i) => commit.add(i));
    release();
    await Promise.all(all);
    expect(sizes).toEqual([1, 2, 2, 1]);
  });
});
