import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runVerify } from '../../src/adapters/cli/verify.command';

const FIXTURES = join(__dirname, '..', 'fixtures', 'archives');

function capture() {
  let text = '';
  return { write: (s: string) => (text += s), get text() { return text; } };
}

describe('aviary-backup verify', () => {
  it('exits 0 and summarises a valid archive', async () => {
    const out = capture();
    const code = await runVerify(join(FIXTURES, 'historical/ours-with-checksums.tar.gz'), { stdout: out });
    assert.equal(code, 0);
    assert.match(out.text, /: VALID\n/);
    assert.match(out.text, /Users 3, API keys 1, documents 3/);
    assert.match(out.text, /Checksums: 11 verified, 0 mismatched/);
  });

  it('exits 1 and prints the error naming the entry for a hostile archive', async () => {
    const out = capture();
    const code = await runVerify(join(FIXTURES, 'hostile/symlink.tar.gz'), { stdout: out });
    assert.equal(code, 1);
    assert.match(out.text, /: INVALID\n/);
    assert.match(out.text, /Entry "filesystem\/documents\/[0-9a-f-]+\/passwd\.pdf": symbolic link \(to "\/etc\/passwd"\) is not allowed/);
  });

  it('prints the BackupAnalysis as JSON with --json', async () => {
    const out = capture();
    const code = await runVerify(join(FIXTURES, 'hostile/bad-crc.tar.gz'), { stdout: out, json: true });
    assert.equal(code, 1);
    const analysis = JSON.parse(out.text);
    assert.equal(analysis.valid, false);
    assert.match(analysis.errors[0], /gzip CRC-32 mismatch/);
  });

  it('exits 2 when the file cannot be read or none is given', async () => {
    const out = capture();
    const err = capture();
    assert.equal(await runVerify(join(FIXTURES, 'no-such.tar.gz'), { stdout: out, stderr: err }), 2);
    assert.match(err.text, /cannot read .*no-such\.tar\.gz/);
    assert.equal(await runVerify(FIXTURES, { stdout: out, stderr: err }), 2);
    assert.equal(await runVerify(undefined, { stdout: out, stderr: err }), 2);
    assert.match(err.text, /usage: aviary-backup verify/);
    assert.equal(out.text, '');
  });
});
