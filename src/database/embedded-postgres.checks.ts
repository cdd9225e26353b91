import { constants, createWriteStream, existsSync, readFileSync, WriteStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { StartupError } from '../common/startup-error';

/**
 * What can keep the embedded PostgreSQL from starting, checked before it is tried, because
 * PostgreSQL's own answer (an early exit, `EEXIST mkdir`) names neither the cause nor the fix.
 */
export async function checkDataFolder(dir: string): Promise<void> {
  const blocker = await fileInTheWay(dir);
  if (blocker === dir) {
    throw new StartupError(
      `EMBEDDED_PG_DATA_DIR (${dir}) is a file, not a folder: move the file away or set EMBEDDED_PG_DATA_DIR to a folder.`,
    );
  }
  if (blocker) {
    throw new StartupError(
      `The data folder ${dir} cannot be made because ${blocker} is a file: move it away or set EMBEDDED_PG_DATA_DIR to another folder.`,
    );
  }
  const owner = runningPostmaster(dir);
  if (owner) {
    const where = owner.port ? `, PostgreSQL pid ${owner.pid} on port ${owner.port}` : '';
    throw new StartupError(
      `The data folder ${dir} is in use by another running instance of the service${where}: stop that instance, or set EMBEDDED_PG_DATA_DIR to another folder.`,
    );
  }
  const existing = nearestExisting(dir);
  if (!(await writable(existing))) {
    throw new StartupError(
      `The data folder ${dir} is not writable by ${userInfo().username} (${existing} refuses writes): fix its permissions or set EMBEDDED_PG_DATA_DIR to a writable folder.`,
    );
  }
}

/** Refuses a port another program (often another instance of the service) listens on. */
export async function checkPortFree(port: number): Promise<void> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StartupError(
      code === 'EADDRINUSE'
        ? `Port ${port} (EMBEDDED_PG_PORT) is already in use, perhaps by the embedded PostgreSQL of another instance with its own data folder: stop that program or set EMBEDDED_PG_PORT to a free port.`
        : `The embedded PostgreSQL cannot listen on 127.0.0.1:${port} (${code ?? String(error)}): set EMBEDDED_PG_PORT to another port.`,
    );
  }
  server.close();
  await once(server, 'close');
}

/** The path itself or the first folder above it that is a file, if any. */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  for (let path = dir; ; path = dirname(path)) {
    const info = await stat(path).catch(() => undefined);
    if (info) return info.isDirectory() ? undefined : path;
    if (dirname(path) === path) return undefined;
  }
}

function nearestExisting(dir: string): string {
  let path = dir;
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  return path;
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/**
 * The postmaster that holds the folder, read from its lock file (`postmaster.pid`: pid on the
 * first line, port on the fourth). A file left by a crash names a dead process: no owner.
 */
function runningPostmaster(dir: string): { pid: number; port?: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`${dir}/postmaster.pid`, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  const port = Number(lines[3]);
  return { pid, ...(port > 0 ? { port } : {}) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A pid reused by an unrelated process after a crash does not hold the folder.
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('postgres');
  } catch {
    return true;
  }
}

/**
 * PostgreSQL's own output, appended to a file in its data folder. Lines written before the
 * folder is initialised (initdb needs it empty) are kept in memory and go into the error a
 * failed start reports.
 */
export class PostgresLogFile {
  private stream?: WriteStream;
  private readonly pending: string[] = [];
  private readonly last: string[] = [];

  constructor(readonly path: string) {}

  open(): void {
    if (this.stream) return;
    this.stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    this.stream.on('error', () => undefined);
    for (const text of this.pending.splice(0)) this.stream.write(text);
  }

  write(text: string): void {
    const line = text.endsWith('\n') ? text : `${text}\n`;
    if (this.stream) this.stream.write(line);
    else this.pending.push(line);
    this.last.push(line);
    if (this.last.length > 20) this.last.shift();
  }

  /** The last FATAL or ERROR line PostgreSQL wrote, for a start-up error. */
  lastError(): string | undefined {
    return this.last
      .flatMap((chunk) => chunk.split('\n'))
      .reverse()
      .find((l) => /\b(FATAL|ERROR|PANIC)\b/.test(l))
      ?.trim();
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(() => resolve()));
  }
}
