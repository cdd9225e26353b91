#!/usr/bin/env node
// Runs the built CLI, or its TypeScript source where nothing has been built yet.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'cli', 'mgmt-audit.js');
if (existsSync(built)) {
  require(built);
} else {
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
  require('../src/cli/mgmt-audit.ts');
}
