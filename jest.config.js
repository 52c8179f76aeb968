/** Jest runs the TypeScript sources directly; type errors are caught by `pnpm typecheck`. */

/**
 * Suites that stop and start the shared RabbitMQ (`rabbitmqctl stop_app`) to prove nothing is
 * lost. Every other suite talks to the same broker, so these run on their own, one at a time,
 * after the rest (`pnpm test:unit` runs the two projects in turn).
 */
const BROKER_RESTARTS = [
  '<rootDir>/packages/bus/test/bus.contract.test.ts',
  '<rootDir>/services/webhook-dispatcher/test/resilience.test.ts',
];

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@readur/([^/]+)$': '<rootDir>/packages/$1/src',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'parallel',
      testMatch: ['**/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...BROKER_RESTARTS],
    },
    {
      ...common,
      displayName: 'broker-restarts',
      testMatch: BROKER_RESTARTS,
    },
  ],
};
