import { readFileSync } from 'node:fs';
import { loadAuditRecords } from '../lib/audit-loader';
import { BENCH_TENANT, BenchContext, Scenario } from '../lib/context';

/** Resident memory of a process in MiB (Linux /proc), or undefined elsewhere. */
function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return line ? Number(line[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A large export (`GET /{tenant}/v2/AuditRecords/.export`): BENCH_EXPORT_ROWS records of the
 * bench tenant (default 1,000,000), read to the end by one client as fast as it can, while
 * the service's resident memory is sampled every 250 ms. Targets: at least 50,000 records/s,
 * and memory flat (the last quarter's peak within 64 MiB of the first quarter's).
 */
export const scenario: Scenario = {
  name: 'audit-export',
  description: 'GET /{tenant}/v2/AuditRecords/.export of a large trail, NDJSON and CSV',
  async run(ctx: BenchContext) {
    const rows = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
    const notes: string[] = [];
    const count = async () =>
      (
        await ctx.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = $1',
          [BENCH_TENANT],
        )
      ).rows[0].n;
    const present = await count();
    if (present < rows) {
      const seconds = await loadAuditRecords(ctx.pool, {
        rows: rows - present,
        tenants: 1,
        tenantName: () => BENCH_TENANT,
      });
      await ctx.pool.query('VACUUM (ANALYZE) audit_records');
      notes.push(
        `loaded ${(rows - present).toLocaleString('en')} records in ${seconds.toFixed(0)} s`,
      );
    }
    const token = await ctx.adminToken();
    const pid = ctx.pidOf(ctx.serviceUrl);
    for (const format of ['ndjson', 'csv'] as const) {
      const samples: number[] = [];
      const sampler = setInterval(() => {
        const rss = rssMiB(pid);
        if (rss !== undefined) samples.push(rss);
      }, 250);
      const cpuBefore = ctx.cpu();
      const started = process.hrtime.bigint();
      const res = await fetch(
        `${ctx.serviceUrl}/${BENCH_TENANT}/v2/AuditRecords/.export?format=${format}`,
        {
          headers: {
            authorization: `Bearer ${token}`,
            'x-correlation-id': `bench-export-${format}`,
          },
        },
      );
      if (!res.ok || !res.body) throw new Error(`export: ${res.status} ${await res.text()}`);
      let bytes = 0;
      let lines = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpuAfter = ctx.cpu();
      clearInterval(sampler);
      const records = format === 'ndjson' ? lines - 1 : lines - 1;
      const rate = records / seconds;
      const quarter = Math.max(1, Math.floor(samples.length / 4));
      const early = Math.max(...samples.slice(0, quarter));
      const late = Math.max(...samples.slice(-quarter));
      const flat = late - early <= 64;
      // On a shared machine the wall-clock rate says as much about the neighbours as about
      // the export; records per CPU second of the service and of PostgreSQL do not.
      const perCpu = (used: number) =>
        used > 0 ? `${Math.round(records / used).toLocaleString('en')} records/CPU s` : 'n/a';
      const cpu =
        `service ${(cpuAfter.service - cpuBefore.service).toFixed(1)} CPU s (${perCpu(cpuAfter.service - cpuBefore.service)}), ` +
        `PostgreSQL ${(cpuAfter.postgres - cpuBefore.postgres).toFixed(1)} CPU s (${perCpu(cpuAfter.postgres - cpuBefore.postgres)})`;
      notes.push(
        `${format}: ${records.toLocaleString('en')} records, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(1)} s = ` +
          `**${Math.round(rate).toLocaleString('en')} records/s** (target 50,000: ${rate >= 50_000 ? 'met' : 'NOT met'}); ` +
          `service RSS ${samples.length ? `min ${Math.min(...samples).toFixed(0)}, first-quarter peak ${early.toFixed(0)}, last-quarter peak ${late.toFixed(0)}, max ${Math.max(...samples).toFixed(0)} MiB (${flat ? 'flat' : 'NOT flat'})` : 'not sampled (no /proc)'}; ${cpu}`,
      );
    }
    return { title: 'Audit export (issue 16)', rows: [], notes };
  },
};
