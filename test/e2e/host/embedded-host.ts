/**
 * A host application embedding the service under /aviary next to its own routes and middleware.
 * Run as a child process by the embedding test: it serves, answers a few requests itself, closes
 * the service and the server, and must then exit on its own (no leaked handles or timers).
 */
import 'reflect-metadata';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createAviaryBackup } from '../../../src';

async function main() {
  const host = express();
  const seen: string[] = [];
  host.use((req, _res, next) => {
    seen.push(req.path);
    next();
  });
  host.use(express.json());
  host.get('/', (_req, res) => {
    res.send('host home');
  });
  host.post('/host/echo', (req, res) => {
    res.json({ echoed: req.body });
  });

  const service = createAviaryBackup({
    env: { DATA_DIR: process.env.DATA_DIR, ALLOW_INSECURE: 'true', LOG_LEVEL: 'silent', AUTH_USERNAME: 'owner', AUTH_PASSWORD: 'owner-password-1' },
  });
  host.use('/aviary', service.router);
  host.use((_req, res) => {
    res.status(404).send('host 404');
  });

  const server = host.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const beforeStart = await fetch(`${base}/aviary/healthz`);
  await service.start();
  const results: Record<string, unknown> = { beforeStartStatus: beforeStart.status };
  results.home = await (await fetch(`${base}/`)).text();
  results.echo = await (await fetch(`${base}/host/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).json();
  results.health = await (await fetch(`${base}/aviary/healthz`)).json();
  const login = await fetch(`${base}/aviary/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'owner', password: 'owner-password-1' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  results.loginStatus = login.status;
  results.check = await (await fetch(`${base}/aviary/api/auth/check`, { headers: { cookie } })).json();
  results.hostMissing = await (await fetch(`${base}/not-a-route`)).text();
  results.seen = seen;

  await service.close();
  results.afterClose = (await fetch(`${base}/aviary/healthz`)).status;
  await new Promise((resolve) => server.close(resolve));
  process.stdout.write(JSON.stringify(results) + '\n');
  // No process.exit(): the test checks that the process ends by itself.
}

main().catch((error) => {
  process.stderr.write(String(error?.stack ?? error) + '\n');
  process.exitCode = 1;
});
