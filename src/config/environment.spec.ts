import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvironment } from './environment';
import { loadConfig } from './app-config';
import { EnvironmentVariables } from './env.schema';

describe('the .env file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'env-'));
  const file = join(dir, 'service.env');
  writeFileSync(file, '# a comment\nPORT=3999\nLOG_LEVEL="debug"\nSERVICE_ID=FROM_FILE\n');

  it('fills what the real environment leaves unset', () => {
    const config = loadConfig(readEnvironment({ ENV_FILE: file }));
    expect(config.port).toBe(3999);
    expect(config.logLevel).toBe('debug');
  });

  it('never overrides the real environment', () => {
    const config = loadConfig(readEnvironment({ ENV_FILE: file, PORT: '4001' }));
    expect(config.port).toBe(4001);
    expect(config.serviceId).toBe('FROM_FILE');
  });

  it('is optional when ENV_FILE is not set, and required when it is', () => {
    const cwd = process.cwd();
    try {
      process.chdir(mkdtempSync(join(tmpdir(), 'no-env-')));
      expect(readEnvironment({ PORT: '1' })).toEqual({ PORT: '1' });
    } finally {
      process.chdir(cwd);
    }
    expect(() => readEnvironment({ ENV_FILE: join(dir, 'missing.env') })).toThrow(/ENV_FILE/);
  });

  it('is .env in the working folder by default', () => {
    const cwd = process.cwd();
    const folder = mkdtempSync(join(tmpdir(), 'with-env-'));
    writeFileSync(join(folder, '.env'), 'PORT=3999\n');
    try {
      process.chdir(folder);
      expect(loadConfig(readEnvironment({})).port).toBe(3999);
      expect(loadConfig(readEnvironment({ PORT: '3000' })).port).toBe(3000);
    } finally {
      process.chdir(cwd);
    }
  });

  it('is turned off by an empty ENV_FILE', () => {
    expect(readEnvironment({ ENV_FILE: '' })).toEqual({ ENV_FILE: '' });
  });
});

describe('.env.example', () => {
  const example = join(__dirname, '..', '..', '.env.example');

  it('names every variable the service reads', () => {
    const text = readFileSync(example, 'utf8');
    const names = Object.keys(new EnvironmentVariables()).concat(
      'PUBLIC_BASE_URL',
      'DATABASE_URL',
      'DATABASE_PASSWORD',
      'MIGRATION_DATABASE_URL',
      'MIGRATION_DATABASE_PASSWORD',
      'BOOTSTRAP_ADMIN_SECRET',
      'TRUST_PROXY',
      'ENV_FILE',
    );
    for (const name of names) expect(text).toMatch(new RegExp(`\\b${name}=`));
  });

  it('copied to .env, gives the defaults', () => {
    expect(loadConfig(readEnvironment({ ENV_FILE: example }))).toEqual(loadConfig({}));
  });
});
