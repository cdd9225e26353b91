/**
 * Three projects: fast unit specs beside the code; integration specs that call domain
 * services directly on a real PostgreSQL; e2e specs of the HTTP contract on the same server.
 */
const tsJest = ['ts-jest', { diagnostics: false }];
// A few dependencies ship only as ES modules (a runtime one, and openid-client with the
// jose 6 it brings, for the relying-party tests); Jest's CommonJS sandbox needs them
// transformed (Node itself loads them natively).
const esmOnly = ['content-disposition', 'openid-client', 'oauth4webapi', 'jose'];
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': tsJest,
    '^.+\\.js$': [
      'ts-jest',
      { diagnostics: false, tsconfig: { allowJs: true, isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};
module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/utils/summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
  ],
};
