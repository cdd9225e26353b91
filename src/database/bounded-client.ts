import { Client, ClientConfig } from 'pg';

/** What pg says when a statement's answer did not come within `query_timeout`. */
export const READ_TIMEOUT_MESSAGE = 'Query read timeout';

export interface ConnectionBounds {
  /** Longest opening a connection may take. */
  connectMs: number;
  /** The server's statement_timeout; the client waits a little longer for any answer. */
  statementMs: number;
  lockMs: number;
}

/** How much longer than the server's statement timeout the client waits for an answer. */
const CLIENT_GRACE_MS = 500;

/**
 * The pg client of the write pool, with every wait bounded. The server cancels a statement
 * after `statementMs` and gives up a lock wait after `lockMs`; a server that answers nothing
 * at all (hung, stopped, a network that drops packets) is caught by the client's own read
 * timeout shortly after. pg then rejects the statement but leaves it active on the
 * connection, so every later statement there (the ROLLBACK included) would wait behind it:
 * the connection is closed at once instead, which fails them fast and makes the pool drop it.
 */
export function boundedClient(bounds: ConnectionBounds): typeof Client {
  return class BoundedClient extends Client {
    constructor(config: ClientConfig) {
      super({
        ...config,
        connectionTimeoutMillis: bounds.connectMs,
        statement_timeout: bounds.statementMs,
        lock_timeout: bounds.lockMs,
        query_timeout: bounds.statementMs + CLIENT_GRACE_MS,
      });
      // A connection closed here while checked out must not be an unhandled 'error' event;
      // its statements fail on their own and the pool removes it when it comes back.
      this.on('error', () => undefined);
    }

    // pg's query has many overloads; every form ends either in a callback or a promise.
    override query(...args: unknown[]): never {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (error: unknown, result: unknown) => {
          this.dropOnReadTimeout(error);
          (callback as (e: unknown, r: unknown) => void)(error, result);
        };
      }
      const result = (super.query as (...a: unknown[]) => unknown)(...args);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          this.dropOnReadTimeout(error);
          throw error;
        }) as never;
      }
      return result as never;
    }

    private dropOnReadTimeout(error: unknown): void {
      if (error instanceof Error && error.message === READ_TIMEOUT_MESSAGE) {
        (
          this as unknown as { connection: { stream: { destroy(): void } } }
        ).connection.stream.destroy();
      }
    }
  };
}
