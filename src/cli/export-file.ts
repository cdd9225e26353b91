import { createHash, Hash } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, fstatSync, openSync, readSync } from 'node:fs';
import { Transform, TransformCallback } from 'node:stream';

export type ExportFormat = 'ndjson' | 'csv';

const NL = 0x0a;
const TAIL_BYTES = 1 << 20;

/** Where an earlier, interrupted export to the same file stopped. */
export type ResumePoint =
  { kind: 'fresh' } | { kind: 'complete' } | { kind: 'resume'; after: string; records: number };

/**
 * Reads the end of an export file: complete (NDJSON ends with its manifest line; CSV has its
 * manifest file beside it), or the id of the last whole record, after the file has been
 * cut back to the end of that record.
 */
export function resumePoint(path: string, format: ExportFormat): ResumePoint {
  if (!existsSync(path)) return { kind: 'fresh' };
  if (format === 'csv' && existsSync(manifestPath(path))) return { kind: 'complete' };
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const tail = Buffer.alloc(size - start);
    readSync(fd, tail, 0, tail.length, start);
    const end = tail.lastIndexOf(NL);
    if (end < 0) return { kind: 'fresh' };
    const lineStart = tail.lastIndexOf(NL, end - 1) + 1;
    const last = tail.subarray(lineStart, end).toString('utf8').replace(/\r$/, '');
    ftruncateSync(fd, start + end + 1);
    const records = countLines(path) - (format === 'csv' ? 1 : 0);
    if (format === 'ndjson') {
      const parsed = JSON.parse(last) as { schemas?: string[]; id?: string };
      if (parsed.schemas?.some((s) => s.endsWith(':AuditExportManifest'))) {
        return { kind: 'complete' };
      }
      return parsed.id ? { kind: 'resume', after: parsed.id, records } : { kind: 'fresh' };
    }
    const id = last.slice(0, last.indexOf(','));
    return id === 'id' || !id ? { kind: 'fresh' } : { kind: 'resume', after: id, records };
  } finally {
    closeSync(fd);
  }
}

export const manifestPath = (path: string) => `${path}.manifest.json`;

function countLines(path: string): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let lines = 0;
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) {
      for (let i = 0; i < n; i++) if (buffer[i] === NL) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

/**
 * Between the response and the file: hashes what the server hashed (every byte before the
 * NDJSON manifest line; the whole CSV body), counts records, holds back NDJSON's last line
 * until the end (it is the manifest), and drops the CSV header of a resumed export.
 */
export class ExportSink extends Transform {
  readonly hash: Hash = createHash('sha256');
  records = 0;
  manifestLine?: string;
  private rest: Buffer = Buffer.alloc(0);
  private held: Buffer = Buffer.alloc(0);
  private skipHeader: boolean;
  private headerSeen = false;

  constructor(
    private readonly format: ExportFormat,
    resumed: boolean,
    private readonly onRecords: (records: number) => void,
  ) {
    super();
    this.skipHeader = resumed && format === 'csv';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.format === 'csv') {
      this.hash.update(chunk);
      let out: Buffer = chunk;
      if (!this.headerSeen) {
        const end = chunk.indexOf(NL);
        if (end >= 0) {
          this.headerSeen = true;
          if (this.skipHeader) out = chunk.subarray(end + 1);
          this.records -= 1;
        }
      }
      this.records += count(chunk);
      this.onRecords(this.records);
      done(null, out);
      return;
    }
    const all = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const end = all.lastIndexOf(NL);
    if (end < 0) {
      this.rest = all;
      done();
      return;
    }
    const complete = all.subarray(0, end + 1);
    this.rest = Buffer.from(all.subarray(end + 1));
    const lastStart = complete.lastIndexOf(NL, complete.length - 2) + 1;
    const out = Buffer.concat([this.held, complete.subarray(0, lastStart)]);
    this.held = Buffer.from(complete.subarray(lastStart));
    this.hash.update(out);
    this.records += count(out);
    this.onRecords(this.records);
    done(null, out);
  }

  override _flush(done: TransformCallback): void {
    const last = Buffer.concat([this.held, this.rest]);
    if (this.format === 'ndjson' && last.length) {
      this.manifestLine = last.toString('utf8').trim();
      this.push(last);
    }
    done();
  }
}

function count(buffer: Buffer): number {
  let n = 0;
  for (let i = buffer.indexOf(NL); i >= 0; i = buffer.indexOf(NL, i + 1)) n++;
  return n;
}
