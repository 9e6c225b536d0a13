import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { errorMapper } from '../../src/adapters/http/error-mapper';
import { translateDriverError } from '../../src/adapters/database/driver-errors';
import { ConsoleLogger } from '../../src/adapters/system/console.logger';
import { safeErrorText } from '../../src/adapters/system/safe-error-text';

const HASH = '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
const TOKEN = 'usertoken-0123456789abcdef';

/** Errors shaped as knex leaves them: the statement with its values, then the driver's text. */
function sqliteError(): Error {
  return Object.assign(new Error(`insert into \`users\` (\`password\`, \`rmapi_config\`) values ('${HASH}', '${TOKEN}') - SQLITE_CONSTRAINT: UNIQUE constraint failed: users.username`), {
    code: 'SQLITE_CONSTRAINT', errno: 19,
  });
}
function postgresError(): Error {
  return Object.assign(new Error(`insert into "users" ("password") values ('${HASH}') - invalid input syntax for type uuid: "${TOKEN}"`), {
    code: '22P02', severity: 'ERROR', routine: 'string_to_uuid', detail: `Failing row contains (${HASH}, ${TOKEN}).`, table: 'users', column: 'id',
  });
}
const parseError = () => {
  try {
    JSON.parse(`{"password":"${HASH}" "x"}`);
  } catch (e) {
    return e as Error;
  }
  throw new Error('parsed');
};

describe('error text that cannot carry data', () => {
  const where = { target: 'SQLite file x', hint: 'Check DB_PATH.' };

  it('reduces driver errors to codes, condition, table and column', () => {
    const unique = translateDriverError(sqliteError(), where, 'insert into users') as Error & { code: string };
    assert.equal(unique.code, 'duplicate_row');
    assert.equal(unique.message, 'insert into users: a row with the same unique value exists (SQLITE_CONSTRAINT UNIQUE constraint failed, table users, column username)');
    const bad = translateDriverError(postgresError(), where) as Error & { code: string; category: string };
    assert.equal(bad.code, 'invalid_value');
    assert.equal(bad.category, 'integrity');
    assert.equal(bad.message, 'the database refused a value (22P02 invalid_text_representation, table users, column id)');
    const other = translateDriverError(Object.assign(new Error(`select '${TOKEN}' - SQLITE_ERROR: near "${TOKEN}": syntax error`), { code: 'SQLITE_ERROR' }), where) as Error;
    assert.equal(other.message, 'database error (SQLITE_ERROR)');
  });

  it('says only name and code of errors that are not ours', () => {
    assert.equal(safeErrorText(sqliteError()), 'database error (SQLITE_CONSTRAINT UNIQUE constraint failed, table users, column username)');
    assert.equal(safeErrorText(parseError()), 'SyntaxError');
    assert.ok(!safeErrorText(postgresError()).includes(TOKEN));
  });

  it('the HTTP error mapper and the logger repeat none of it', async () => {
    const lines: string[] = [];
    const app = express();
    const errors = [sqliteError(), postgresError(), parseError()];
    app.get('/boom/:n', (req) => {
      throw errors[Number(req.params.n)];
    });
    app.use(errorMapper(new ConsoleLogger('debug', (line) => lines.push(line))));
    for (let n = 0; n < errors.length; n++) {
      const res = await request(app).get(`/boom/${n}`);
      assert.equal(res.status, 500);
      assert.ok(!res.text.includes(HASH.slice(7, 29)) && !res.text.includes(TOKEN), res.text);
    }
    new ConsoleLogger('debug', (line) => lines.push(line)).error('restore failed', { error: sqliteError(), cause: postgresError() });
    assert.equal(lines.length, 4);
    for (const line of lines) {
      assert.ok(!line.includes(HASH.slice(7, 29)) && !line.includes(TOKEN), line);
      assert.ok(!line.includes('HASH'), 'sanity');
    }
    assert.match(lines[0], /unexpected error .*SQLITE_CONSTRAINT.*"at":".*safe-error-text\.test\.ts/);
  });
});
