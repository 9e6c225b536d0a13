import assert from 'node:assert/strict';
import request from 'supertest';
import { startTestService, TestService } from '../support/service';

describe('PUT /api/profile/password', () => {
  let t: TestService;
  const login = async (password: string) => {
    const res = await request(t.app).post('/api/auth/login').send({ username: 'root', password });
    return res.status === 200 ? (res.headers['set-cookie'][0] as string).split(';')[0] : null;
  };
  const check = async (cookie: string) => (await request(t.app).get('/api/auth/check').set('Cookie', cookie)).body.authenticated;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: 'root', AUTH_PASSWORD: 'initial-password-1' });
  });
  after(() => t.stop());

  it('changes the password of the signed-in user; the old one stops working, other sessions end, this one stays', async () => {
    const mine = (await login('initial-password-1'))!;
    const other = (await login('initial-password-1'))!;
    assert.ok(await check(other));

    const anonymous = await request(t.app).put('/api/profile/password').send({ current_password: 'x', new_password: 'y'.repeat(9) });
    assert.equal(anonymous.status, 401);
    const wrong = await request(t.app).put('/api/profile/password').set('Cookie', mine).send({ current_password: 'not-it', new_password: 'a-new-password-2' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'current_password_incorrect');
    const short = await request(t.app).put('/api/profile/password').set('Cookie', mine).send({ current_password: 'initial-password-1', new_password: 'short' });
    assert.equal(short.status, 400);
    assert.equal(short.body.code, 'password_too_short');
    const malformed = await request(t.app).put('/api/profile/password').set('Cookie', mine).send({ current_password: 1 });
    assert.equal(malformed.status, 400);
    assert.ok(await check(mine), 'refused changes leave the session alone');

    const done = await request(t.app).put('/api/profile/password').set('Cookie', mine).send({ current_password: 'initial-password-1', new_password: 'a-new-password-2' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body, { success: true });
    assert.equal(await login('initial-password-1'), null, 'the old password is refused');
    assert.ok(await login('a-new-password-2'), 'the new password works');
    assert.equal(await check(other), false, 'the other session ended');
    assert.equal(await check(mine), true, 'the session that made the change stays signed in');
  });
});
