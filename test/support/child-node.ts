import { join } from 'node:path';

/**
 * Node arguments that run a TypeScript entry point in a child process. Outputs are cached on disk by
 * test/support/cached-ts.js: a child starts in about half a second instead of compiling for several,
 * which keeps kill-and-restart tests quick and steady on a loaded machine.
 */
export const TS_CHILD_ARGS: readonly string[] = ['-r', join(__dirname, 'cached-ts.js')];
