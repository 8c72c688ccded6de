// Unit specs sit beside their source (src/, *.spec.ts); integration suites live in test/ (*.e2e-spec.ts).
// ts-jest transpiles file by file (tsconfig's isolatedModules): type errors are the build's and `npm run typecheck`'s job,
// which keeps the suite fast on two cores. (@swc/jest was faster still, but its platform packages are
// not all on the registry we install from, so `npm ci` could not use its lock file.)
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  // Removes the Redis prefixes and databases suites left behind (test/support/test-resources.ts).
  globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/jest-global-teardown.ts',
};
