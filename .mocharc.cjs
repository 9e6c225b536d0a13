// `npm test` names the spec (test/**/*.test.ts); `npx mocha some.test.ts` runs just that file.
// Mocha runs TypeScript through ts-node (transpile only; `npm run typecheck` checks types).
module.exports = {
  require: ['ts-node/register/transpile-only', 'reflect-metadata', 'test/support/root-hooks.ts'],
  extension: ['ts'],
  timeout: 120000,
  reporter: 'test/support/summary-reporter.js',
};
