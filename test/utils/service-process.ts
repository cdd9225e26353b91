import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

/** The service from source (`npm run start:dev`): tests need no build first. */
const START_ARGS = ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];

/**
 * The Node options the service is deployed with: those of `npm start` (package.json), which
 * the image's CMD repeats. Tests and benches that run the compiled service run it with them.
 */
export function deployedNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.js') {
    throw new Error(`npm start is not "node [options] dist/main.js": ${pkg.scripts.start}`);
  }
  return words.slice(1, -1);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The service as its own process, with only the given environment (plus PATH and HOME, and
 * no `.env` unless ENV_FILE is given): nothing leaks in from the test run or the checkout.
 */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `compiled`: run dist/main.js as `npm start` does (with its Node options), which starts
   * in about half ts-node's time.
   */
  constructor(
    env: Record<string, string>,
    { compiled, ...options }: { uid?: number; gid?: number; compiled?: boolean } = {},
  ) {
    this.child = spawn(
      process.execPath,
      compiled ? [...deployedNodeArgs(), 'dist/main.js'] : START_ARGS,
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          ENV_FILE: '',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...options,
      },
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.output.push(chunk));
    }
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  get text(): string {
    return this.output.join('');
  }

  /** Polls `url` until it answers 2xx; fails early if the process dies. */
  async waitFor(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the service exited before ${url} answered:\n${this.text.slice(-4000)}`);
      }
      try {
        const res = await fetch(url);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${this.text.slice(-4000)}`);
  }

  /** Sends `signal` and waits for the exit; the process is killed if it does not stop in time. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return { ...(await this.exited), timedOut: false };
    }
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (r) => (timer = setTimeout(() => r('timeout'), timeoutMs)),
    );
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      return { ...(await this.exited), timedOut: true };
    }
    return { ...result, timedOut: false };
  }
}
