import { Writable } from 'node:stream';
import { loadConfig } from '../config/app-config';
import { loggerOptions } from './logger.options';

type Destination = {
  fd: number;
  sync: boolean;
  minLength: number;
  _periodicFlush: number;
  destroy(): void;
};

describe('loggerOptions', () => {
  const config = loadConfig({ NODE_ENV: 'development' });

  it('writes to standard output in buffered chunks, flushed periodically', () => {
    const { pinoHttp } = loggerOptions(config);
    const [, destination] = pinoHttp as [unknown, Destination];
    try {
      expect(destination).toMatchObject({ fd: 1, sync: false, minLength: 4096 });
      expect(destination._periodicFlush).toBeGreaterThan(0);
    } finally {
      destination.destroy();
    }
  });

  it('writes to the destination it is given (tests read their own log lines)', () => {
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const { pinoHttp } = loggerOptions(config, sink);
    expect((pinoHttp as unknown[])[1]).toBe(sink);
  });
});
