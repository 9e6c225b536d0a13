import request from 'supertest';
import type { TestService } from './service';

/** Polls a backup job over HTTP until it is completed or failed (bounded for a loaded machine). */
export async function waitForJob(t: TestService, cookie: string, id: string): Promise<Record<string, any>> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await request(t.app).get(`/api/admin/backup-job/${id}`).set('Cookie', cookie);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`backup job ${id} did not finish within two minutes`);
}
