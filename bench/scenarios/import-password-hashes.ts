import { randomBytes, scryptSync } from 'node:crypto';
import { BenchContext, Scenario } from '../lib/context';
import { LoadResult } from '../lib/load';
import { ImportRun, importUsers } from './import-users';

/**
 * Users migrated with the hash their old system made (`passwordHash`, API.md §8) against
 * the same users without passwords: the target is at least 80 % of the speed without.
 * BENCH_IMPORT_HASH_USERS users per import (default 20,000, in requests of 10,000), in
 * BENCH_ROUNDS alternating rounds (without, then with).
 */
const USERS = Number(process.env.BENCH_IMPORT_HASH_USERS ?? 20_000);

/** One real hash of each accepted kind; users take them in turn (the service only checks the format). */
function hashes(): string[] {
  const salt = randomBytes(16);
  const key = scryptSync('correct horse battery staple', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return [
    `$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(key)}`,
    '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
  ];
}

function result(run: ImportRun): LoadResult {
  const sorted = [...run.postMs].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return {
    requests: run.users,
    rps: run.users / run.seconds,
    p50: at(0.5),
    p99: at(0.99),
    errors: run.failed,
    non2xx: 0,
  };
}

export const scenario: Scenario = {
  name: 'import-password-hashes',
  description: `POST /{tenant}/v2/Users/.import of ${USERS} users with PHC password hashes vs without passwords`,
  async run(ctx: BenchContext) {
    const run = Date.now().toString(36);
    const kinds = hashes();
    const withHash = { passwordHash: (i: number) => kinds[i % kinds.length] };
    await importUsers(ctx, `hwarm-${run}`, Math.min(USERS, 10_000));
    const rounds: { plain: ImportRun; hashed: ImportRun }[] = [];
    for (let r = 0; r < ctx.settings.rounds; r++) {
      const plain = await importUsers(ctx, `plain-${run}-${r}`, USERS);
      const hashed = await importUsers(ctx, `hashed-${run}-${r}`, USERS, withHash);
      rounds.push({ plain, hashed });
    }
    const rate = (runs: ImportRun[]) =>
      runs.reduce((n, x) => n + x.users, 0) / runs.reduce((n, x) => n + x.seconds, 0);
    const plainRate = rate(rounds.map((x) => x.plain));
    const hashedRate = rate(rounds.map((x) => x.hashed));
    return {
      title: `Bulk import of ${USERS} users with PHC password hashes vs without passwords`,
      rows: rounds.flatMap((x, r) => [
        { label: `round ${r + 1}: without passwords`, result: result(x.plain) },
        {
          label: `round ${r + 1}: with passwordHash (argon2id, bcrypt, scrypt in turn)`,
          result: result(x.hashed),
        },
      ]),
      notes: [
        'requests = users, req/s = users per second end to end (first POST until every status is completed); p50/p99 = POST response time in ms; errors = failed items',
        `with hashes ${hashedRate.toFixed(0)} users/s vs without ${plainRate.toFixed(0)} users/s: ${((hashedRate / plainRate) * 100).toFixed(1)}% (target >= 80%)`,
        `per round: ${rounds.map((x) => `${((x.hashed.users / x.hashed.seconds / (x.plain.users / x.plain.seconds)) * 100).toFixed(1)}%`).join(', ')}`,
      ],
    };
  },
};
