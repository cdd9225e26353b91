import { runFuzz } from '../fuzz/fuzz';
import { testDatabaseEnv } from '../utils/test-database';

/**
 * The short run of `npm run fuzz` (docs/reliability.md): the same seeded surfaces against the
 * service as its own process, FUZZ_CASES per surface (400 by default, about a minute on a
 * busy two-core machine). A fixed seed
 * keeps the run repeatable; FUZZ_SEED picks another. Any failure prints its replay command.
 */
describe('fuzz (short run)', () => {
  it('answers every case without a 5xx, with the echo and the route format', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261203);
    const report = await runFuzz({
      databaseUrl: testDatabaseEnv().DATABASE_URL,
      ownerUrl: testDatabaseEnv().MIGRATION_DATABASE_URL,
      seed,
      casesPerSurface: Number(process.env.FUZZ_CASES ?? 400),
      concurrency: 16,
    });
    const failures = report.failures
      .slice(0, 10)
      .map(
        (f) =>
          `${f.problems.join('; ')}: ${f.request}\n  npm run fuzz -- --replay ${f.surface}:${f.seed}`,
      );
    expect(failures).toEqual([]);
    expect(report.logProblems.slice(0, 10)).toEqual([]);
    expect(report.readyAtEnd).toBe(true);
    for (const stats of Object.values(report.surfaces))
      expect(stats.byClass['5xx']).toBeUndefined();
  }, 300_000);
});
