#!/usr/bin/env node
// `npm start` runs the compiled service (dist/main.js): it starts in about half the time
// ts-node needs, and production carries no TypeScript toolchain. This builds dist/ first
// when it is missing or older than anything it is built from, so a fresh clone or an
// edited source never runs stale code.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const output = join(root, 'dist', 'main.js');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json'];

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((t, name) => Math.max(t, newest(join(path, name))), 0);
}

const built = existsSync(output) ? statSync(output).mtimeMs : 0;
const changed = inputs
  .map((p) => join(root, p))
  .filter(existsSync)
  .reduce((t, p) => Math.max(t, newest(p)), 0);
if (changed > built) {
  process.stdout.write('Building the service (dist/ is missing or older than src/)...\n');
  execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
}
