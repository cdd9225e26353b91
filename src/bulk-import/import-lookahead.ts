import { ImportItem, ImportProcessor } from './import-item';
import { ImportOptions } from './import-envelope';

/**
 * What one worker's run of an import carries from a batch to the next: the next chunk, read
 * in the batch before (chunks never change until their last batch deletes them), and the
 * next batch, prepared while the batch before it was being written. Both are used only by
 * the batch they were made for (same import, same first item): a batch that finds the job
 * elsewhere (retried, moved on by another worker) makes its own.
 */
export class Lookahead {
  private kept?: { coi: string; chunkNo: number; items: unknown[] };
  private ready?: { coi: string; first: number; count: number; prepared: Promise<unknown> };

  chunk(coi: string, chunkNo: number): unknown[] | undefined {
    const kept = this.kept;
    this.kept = undefined;
    return kept && kept.coi === coi && kept.chunkNo === chunkNo ? kept.items : undefined;
  }

  keepChunk(coi: string, chunkNo: number, items: unknown[]): void {
    this.kept = { coi, chunkNo, items };
  }

  /** What was prepared for the batch of `count` items from `first`, if anything. */
  async prepared(coi: string, first: number, count: number): Promise<unknown> {
    const ready = this.ready;
    this.ready = undefined;
    if (!ready || ready.coi !== coi || ready.first !== first || ready.count !== count) {
      return undefined;
    }
    return ready.prepared;
  }

  /**
   * Prepares `items` once the current statement is on its way (setImmediate runs after the
   * promise jobs that send it), so the preparation runs while the database works. A
   * preparation that throws leaves nothing prepared: the batch reads its items again in its
   * turn, and fails there if it must.
   */
  prepare(
    coi: string,
    items: ImportItem[],
    processor: ImportProcessor,
    options: ImportOptions,
  ): void {
    if (!processor.prepare || items.length === 0) return;
    const prepare = processor.prepare.bind(processor);
    this.ready = {
      coi,
      first: items[0].index,
      count: items.length,
      prepared: new Promise((resolve) =>
        setImmediate(() => {
          try {
            resolve(prepare(items, options));
          } catch {
            resolve(undefined);
          }
        }),
      ),
    };
  }
}
