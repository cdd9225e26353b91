import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo, createServer } from 'node:net';
import { StartupError } from './common/startup-error';
import { AppConfig } from './config/app-config';
import { EmbeddedPostgresLauncher } from './database/embedded-postgres.launcher';
import { flushLogs } from './logging/logger.options';

const logger = new Logger('Service');

/**
 * Fails fast, before the database is started, when the HTTP port cannot be had; listening
 * itself is still checked (listenOrExplain), as the port may be taken in between.
 */
export async function checkHttpPort(config: AppConfig): Promise<void> {
  if (config.port === 0) return;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
  } catch (error) {
    explainListenError(error, config);
  }
  await new Promise((resolve) => server.close(resolve));
}

/** Listens, or fails with a sentence that names the variable to change. */
export async function listenOrExplain(app: NestFastifyApplication, config: AppConfig) {
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    explainListenError(error, config);
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.log(`Listening on ${base} (docs at ${base}/docs, health at ${base}/health/ready)`);
  // Start-up is over: its lines go out now rather than with the next periodic flush.
  flushLogs();
}

function explainListenError(error: unknown, config: AppConfig): never {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    throw new StartupError(
      `Port ${config.port} is already in use (PORT): stop the program that listens on it or set PORT to a free port.`,
    );
  }
  if (code === 'EACCES') {
    throw new StartupError(
      `Listening on ${where} is not allowed for this user: set PORT to 1024 or above.`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    throw new StartupError(
      `HOST ${config.host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all.`,
    );
  }
  throw error;
}

/**
 * Stops on SIGINT, SIGTERM or SIGHUP in the order that loses nothing and logs no error: the
 * job runner (beforeApplicationShutdown), the HTTP server, the pools, and last the embedded
 * PostgreSQL. Past SHUTDOWN_TIMEOUT_MS the process exits anyway, inside a container's grace.
 */
export function stopOnSignals(app: NestFastifyApplication, config: AppConfig): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    logger.log(`${signal} received: stopping`);
    const timer = setTimeout(() => {
      logger.warn(
        `Stopping took longer than SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms): exiting now`,
      );
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    void app
      .close()
      .then(() => EmbeddedPostgresLauncher.stopAll())
      .then(
        () => {
          logger.log(`Stopped in ${Date.now() - started} ms`);
          process.exit(0);
        },
        (error: unknown) => {
          logger.warn(
            `Stop was not clean: ${error instanceof Error ? error.message : String(error)}`,
          );
          process.exit(1);
        },
      );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}

/** What a failed start prints: the sentence of a known cause, otherwise the error itself. */
export function startupFailure(error: unknown, config: AppConfig): string {
  if (error instanceof StartupError) return error.message;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (config.databaseUrl && typeof code === 'string') {
    const server = safeServer(config.databaseUrl);
    if (/^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH)$/.test(code)) {
      return `The PostgreSQL server of DATABASE_URL (${server}) cannot be reached (${code}): start it, fix DATABASE_URL, or unset it to use the embedded PostgreSQL.`;
    }
    if (code === '28P01' || code === '28000' || code === '3D000') {
      return `The PostgreSQL server of DATABASE_URL (${server}) refused the service (${(error as Error).message}): fix the role, password or database name in DATABASE_URL.`;
    }
  }
  if (error instanceof Error) return `The service could not start: ${error.stack ?? error.message}`;
  return `The service could not start: ${String(error)}`;
}

/** Host, port and database of a URL, never its password. */
function safeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'unparseable URL';
  }
}
