// @swc/jest compiles TypeScript (and ESM-only packages in node_modules) to CommonJS,
// so jest needs no experimental VM modules.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
