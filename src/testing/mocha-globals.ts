/**
 * The mocha functions the suites call, taken from the globals of the runner that loads them: the kit
 * depends on no test framework package and works with whichever mocha the plugin's project installed.
 */
export interface SuiteContext {
  timeout(ms: number): unknown;
}
type Body = (this: SuiteContext) => unknown;
type Hook = (fn: Body) => void;

export interface MochaGlobals {
  describe(title: string, fn: (this: SuiteContext) => void): void;
  it(title: string, fn: Body): void;
  before: Hook;
  after: Hook;
  beforeEach: Hook;
  afterEach: Hook;
}

/** Looked up at call time, so importing the kit outside a test run does not fail. */
export function mocha(): MochaGlobals {
  const g = globalThis as unknown as Partial<MochaGlobals>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') {
    throw new Error('aviary-backup/testing: the contract suites run under mocha (describe/it globals not found)');
  }
  return g as MochaGlobals;
}
