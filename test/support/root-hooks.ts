// Shared test infrastructure started lazily by the suites that need it and stopped once at the end.
import { stopAllTestServers } from './servers';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30000);
    await stopAllTestServers();
  },
};
