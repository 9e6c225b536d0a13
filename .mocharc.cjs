// Mocha runs TypeScript through ts-node (transpile only; `npm run typecheck` checks types).
module.exports = {
  require: ['ts-node/register/transpile-only', 'reflect-metadata', 'test/support/root-hooks.ts'],
  extension: ['ts'],
  spec: ['test/**/*.test.ts'],
  timeout: 120000,
  reporter: 'test/support/summary-reporter.js',
};
