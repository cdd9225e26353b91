import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

export type RawEnvironment = Record<string, string | undefined>;

/**
 * The variables the service starts with: the real environment, over a `.env` file in the
 * working directory when there is one. The real environment wins, so a deployment can
 * always override a checked-out file, and `.env` never has to be edited to try a value.
 * `ENV_FILE` names another file; an empty `ENV_FILE` turns the file off.
 */
export function readEnvironment(env: RawEnvironment = process.env): RawEnvironment {
  const file = env.ENV_FILE ?? '.env';
  if (file === '') return { ...env };
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && env.ENV_FILE === undefined) {
      return { ...env };
    }
    throw new Error(`Cannot read ENV_FILE ${file}: ${(error as Error).message}`);
  }
  return { ...parseEnv(text), ...env };
}
