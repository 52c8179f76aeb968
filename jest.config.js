/** Jest runs the TypeScript sources directly; type errors are caught by `pnpm typecheck`. */
const fs = require('node:fs');
const path = require('node:path');

/**
 * Suites that stop and start the shared RabbitMQ (`rabbitmqctl stop_app`) to prove nothing is
 * lost. Every other suite talks to the same broker, so these run on their own, one at a time,
 * after the rest (`pnpm test:unit` runs the two projects in turn).
 */
const BROKER_RESTARTS = [
  '<rootDir>/packages/bus/test/bus.contract.test.ts',
  '<rootDir>/services/webhook-dispatcher/test/resilience.test.ts',
];

/**
 * Suites that read nothing but the real documents beside the repository (`../shared/corpus`,
 * see its MANIFEST.tsv; CI has it). Where it is absent they are left out and that is said.
 */
const CORPUS = path.resolve(__dirname, '../shared/corpus');
const CORPUS_SUITES = [
  '<rootDir>/services/ocr-worker/test/corpus.test.ts',
  '<rootDir>/services/document/test/search.corpus.test.ts',
];
const corpusPresent = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
if (!corpusPresent) {
  const suites = CORPUS_SUITES.map((suite) => suite.replace('<rootDir>/', '')).join(', ');
  console.warn(`corpus not found at ${CORPUS}: ${suites} did not run`);
}

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
      testPathIgnorePatterns: [
        '/node_modules/',
        ...BROKER_RESTARTS,
        ...(corpusPresent ? [] : CORPUS_SUITES),
      ],
    },
    {
      ...common,
      displayName: 'broker-restarts',
      testMatch: BROKER_RESTARTS,
    },
  ],
};
