#!/usr/bin/env node
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { createWriteStream, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ApiFailure, AuditClient } from './audit-client';
import { ExportFormat, ExportSink, manifestPath, resumePoint } from './export-file';

/**
 * mgmt-audit: the audit trail from a terminal (docs/console.md#cli). Credentials come from
 * the environment (MGMT_AUDIT_CLIENT_ID, MGMT_AUDIT_CLIENT_SECRET), never from arguments,
 * which other users of the machine can read. Exit codes: 0 done, 1 verification failed or an
 * export does not match its manifest, 2 the work could not be done.
 */
interface Globals {
  url: string;
  tenant: string;
  correlationId?: string;
}
interface ListPage {
  totalResults: number;
  nextCursor?: string;
  Resources?: unknown[];
  resources?: unknown[];
}

const program = new Command('mgmt-audit')
  .description('Search, follow, export and verify the audit trail of the management API.')
  .addOption(
    new Option('--url <url>', 'base URL of the service')
      .env('MGMT_AUDIT_URL')
      .default('http://localhost:3000'),
  )
  .addOption(new Option('--tenant <name>', 'tenant').env('MGMT_AUDIT_TENANT').default('default'))
  .option('--correlation-id <id>', 'X-Correlation-ID for every call (default: one per call)')
  .addHelpText(
    'after',
    '\nCredentials: MGMT_AUDIT_CLIENT_ID and MGMT_AUDIT_CLIENT_SECRET (a client with audit:read).',
  )
  .showHelpAfterError();

function client(): AuditClient {
  const globals = program.opts<Globals>();
  const clientId = process.env.MGMT_AUDIT_CLIENT_ID;
  const clientSecret = process.env.MGMT_AUDIT_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new ApiFailure(0, 'set MGMT_AUDIT_CLIENT_ID and MGMT_AUDIT_CLIENT_SECRET');
  }
  return new AuditClient({ ...globals, clientId, clientSecret });
}

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${value}`);
  return n;
};

program
  .command('search')
  .description('Print matching records as NDJSON, oldest first, paging by cursor')
  .argument('[filter]', 'SCIM filter, e.g. \'correlationId eq "abc"\'')
  .option('--limit <n>', 'stop after this many records', positive, 1000)
  .option('--descending', 'newest first')
  .action(async (filter: string | undefined, o: { limit: number; descending?: boolean }) => {
    const api = client();
    let cursor = '';
    let printed = 0;
    do {
      const page = await api.getJson<ListPage>('/v2/AuditRecords', {
        filter,
        count: String(Math.min(1000, o.limit - printed)),
        sortBy: 'created',
        sortOrder: o.descending ? 'descending' : 'ascending',
        cursor,
      });
      for (const record of page.Resources ?? page.resources ?? []) {
        process.stdout.write(`${JSON.stringify(record)}\n`);
        printed++;
      }
      cursor = page.nextCursor ?? '';
    } while (cursor && printed < o.limit);
  });

program
  .command('tail')
  .description('Follow new matching records (Server-Sent Events), printed as NDJSON')
  .argument('[filter]', 'SCIM filter')
  .option('--after <id>', 'start after this record id (as Last-Event-ID)')
  .option('--max <n>', 'exit after this many records', positive)
  .action(async (filter: string | undefined, o: { after?: string; max?: number }) => {
    const api = client();
    let last = o.after;
    let seen = 0;
    for (;;) {
      try {
        const res = await api.stream(
          '/v2/AuditRecords/.tail',
          { filter },
          last ? { 'last-event-id': last } : {},
        );
        res.setEncoding('utf8');
        let text = '';
        for await (const chunk of res) {
          text += String(chunk);
          let end: number;
          while ((end = text.indexOf('\n\n')) >= 0) {
            const block = text.slice(0, end).split('\n');
            text = text.slice(end + 2);
            const data = block.find((l) => l.startsWith('data: '));
            if (!data || !block.includes('event: auditRecord')) continue;
            process.stdout.write(`${data.slice(6)}\n`);
            last = block.find((l) => l.startsWith('id: '))?.slice(4) ?? last;
            if (o.max && ++seen >= o.max) {
              res.destroy();
              return;
            }
          }
        }
      } catch (error) {
        if (error instanceof ApiFailure) throw error;
        process.stderr.write(`tail: connection lost (${String(error)}), reconnecting\n`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

program
  .command('export')
  .description('Export matching records to a file, with a progress bar; resumes an interrupted one')
  .argument('[filter]', 'SCIM filter')
  .requiredOption(
    '-o, --output <file>',
    'file to write (resumed when it holds an unfinished export)',
  )
  .addOption(
    new Option('--format <format>', 'file format').choices(['ndjson', 'csv']).default('ndjson'),
  )
  .option('--restart', 'start again instead of resuming')
  .action(
    async (
      filter: string | undefined,
      o: { output: string; format: ExportFormat; restart?: boolean },
    ) => {
      const api = client();
      const point = o.restart ? { kind: 'fresh' as const } : resumePoint(o.output, o.format);
      if (point.kind === 'complete') {
        process.stderr.write(`${o.output} is already a complete export\n`);
        return;
      }
      const done = point.kind === 'resume' ? point.records : 0;
      const total = (await api.getJson<ListPage>('/v2/AuditRecords', { filter, count: '0' }))
        .totalResults;
      const bar = new SingleBar({
        format: 'export [{bar}] {percentage}% | {value}/{total} records | {eta_formatted} left',
        stream: process.stderr,
        hideCursor: true,
      });
      bar.start(Math.max(total, done), done);
      const res = await api.stream('/v2/AuditRecords/.export', {
        filter,
        format: o.format,
        after: point.kind === 'resume' ? point.after : undefined,
      });
      const sink = new ExportSink(o.format, point.kind === 'resume', (n) => bar.update(done + n));
      await pipeline(
        res,
        sink,
        createWriteStream(o.output, { flags: point.kind === 'resume' ? 'a' : 'w' }),
      );
      bar.stop();
      const manifestText =
        o.format === 'csv' ? res.trailers['x-export-manifest'] : sink.manifestLine;
      if (!manifestText)
        throw new ApiFailure(0, 'the export ended without its manifest: run again to resume');
      const manifest = JSON.parse(manifestText) as { count: number; sha256: string };
      if (o.format === 'csv') writeFileSync(manifestPath(o.output), `${manifestText}\n`);
      const sha256 = sink.hash.digest('hex');
      if (manifest.sha256 !== sha256 || manifest.count !== sink.records) {
        process.stderr.write(
          `export does not match its manifest: ${sink.records} records, sha256 ${sha256}; manifest: ${manifest.count}, ${manifest.sha256}\n`,
        );
        process.exitCode = 1;
        return;
      }
      process.stderr.write(
        `${done + sink.records} records in ${o.output}; manifest verified (sha256 ${sha256})\n`,
      );
    },
  );

program
  .command('verify')
  .description("Check the trail's seals and hashes with the service's verifier (.verify)")
  .option('--from <time>', 'ISO 8601 start')
  .option('--to <time>', 'ISO 8601 end')
  .action(async (o: { from?: string; to?: string }) => {
    const api = client();
    let result: { verified?: boolean };
    try {
      result = await api.getJson('/v2/AuditRecords/.verify', { from: o.from, to: o.to });
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 404) {
        throw new ApiFailure(404, 'this service has no verifier (.verify is not available)');
      }
      throw error;
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (result.verified !== true) process.exitCode = 1;
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`mgmt-audit: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
