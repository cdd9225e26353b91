import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

import { deployedNodeArgs } from '../../test/utils/service-process';

export { freePort } from '../../test/utils/service-process';

/**
 * Starts an entry point as its own Node process: compiled JavaScript as deployed (with the
 * Node options of `npm start`), or a TypeScript file through ts-node (the floor servers).
 * BENCH_SERVICE_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=prof`) goes to the compiled
 * service only, after the deployed options (a later V8 option wins), to profile it under the
 * bench's load (Node refuses --cpu-prof in NODE_OPTIONS) or to measure another setting.
 */
export function startNode(entry: string, env: Record<string, string>, quiet = true): ChildProcess {
  const serviceArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = entry.endsWith('.js')
    ? [...deployedNodeArgs(), ...serviceArgs, entry]
    : ['-r', 'ts-node/register/transpile-only', entry];
  return spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
  });
}

export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready in ${timeoutMs} ms`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Builds the service the way the Docker image does, so the bench measures the deployed form. */
export function buildService(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
