/** Jest runs the TypeScript sources directly; type errors are caught by `pnpm typecheck`. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@readur/([^/]+)$': '<rootDir>/packages/$1/src',
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
