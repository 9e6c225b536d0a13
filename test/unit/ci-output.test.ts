import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * Runs a command in a pseudo-terminal with FORCE_COLOR=1, as CI runners that want coloured logs set
 * it: mocha then colours its whole output even through a pipe.
 */
function underTerminal(command: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], { cwd: root, env: { ...process.env, CI: 'true', FORCE_COLOR: '1' } }, (error, stdout) => {
      if (error && typeof (error as { code?: unknown }).code !== 'number') return reject(error);
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, output: stdout });
    });
  });
}

describe('CI output (.ci/summarize, as .ci/run uses it)', () => {
  it('has no ANSI colour codes, ends with the summary line printed once, and keeps the failure status', async () => {
    const { code, output } = await underTerminal('.ci/summarize npx mocha --no-color test/fixtures/ci/probe.spec.ts');
    assert.doesNotMatch(output, /\x1b\[/, 'no escape sequences');
    const lines = output.replace(/\r/g, '').trimEnd().split('\n');
    assert.equal(lines.filter((l) => /^\d+ passed, \d+ failed/.test(l)).length, 1, output);
    assert.equal(lines[lines.length - 1], '1 passed, 1 failed');
    assert.notEqual(code, 0);
  });
});
