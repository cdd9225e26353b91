/**
 * Runs an embedded PostgreSQL in a process of its own (Jest's sandbox cannot load the
 * ES-module launcher): prints `READY <service url> <owner url> <superuser url>` once listening, stops the server on SIGTERM.
 * Usage: node -r ts-node/register/transpile-only test/utils/embedded-pg.process.ts <dir> <port>
 */
import { EmbeddedPostgresLauncher } from '../../src/database/embedded-postgres.launcher';

async function main(): Promise<void> {
  const [dir, port] = process.argv.slice(2);
  const launcher = new EmbeddedPostgresLauncher(dir, Number(port));
  const urls = await launcher.start();
  process.stdout.write(`READY ${urls.service} ${urls.owner} ${urls.superuser}\n`);
  const stop = () => {
    void launcher.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
