/**
 * The admin web page in headless Chromium against a real listening service: the whole operator
 * flow on SQLite + filesystem (page at the server's root) and on PostgreSQL + S3 (page embedded
 * under /aviary). Each screen is screenshotted into test-output/screenshots and checked with axe.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Page } from 'puppeteer-core';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import type { PasswordHasher } from '../../src/application/ports/system.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { ensureAdminPageBuilt } from '../support/admin-page';
import { AxeViolation, runAxe, serious } from '../support/axe';
import { backendEnv, BackendSetup, DatabaseKind, StorageKind } from '../support/backends';
import { launchChromium, requireChromium, TestBrowser } from '../support/chromium';
import { startTestService, TestService } from '../support/service';

const OUTPUT = join(__dirname, '..', '..', 'test-output');
const SHOTS = join(OUTPUT, 'screenshots');
const HOSTILE = join(__dirname, '..', 'fixtures', 'archives', 'hostile', 'dotdot-name.tar.gz');
const ANOTHER_INSTALLATION = join(__dirname, '..', 'fixtures', 'archives', 'historical', 'go-metadata-first.tar.gz');
const PASSWORD = 'root-password-1';
const WAIT = 90_000;

const sel = (testid: string, extra = '') => `[data-testid="${testid}"]${extra}`;

async function waitUntil<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function* chunks(body: Buffer): AsyncIterable<Uint8Array> {
  yield body;
}

async function readBlob(blobs: BlobStore, key: string): Promise<string | null> {
  if (!(await blobs.stat(key))) return null;
  const parts: Buffer[] = [];
  for await (const chunk of await blobs.get(key)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

const text = (page: Page, selector: string) =>
  page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`) as Promise<string | null>;

async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    `(() => { const el = document.querySelector(${JSON.stringify(selector)}); return !!el && new RegExp(${JSON.stringify(pattern.source)}, ${JSON.stringify(pattern.flags)}).test(el.textContent); })()`,
    { timeout: WAIT, polling: 100 },
  );
  return (await text(page, selector)) ?? '';
}

async function chooseFile(page: Page, selector: string, file: string): Promise<void> {
  const input = await page.waitForSelector(selector);
  // The DOM's types are not part of the test build, so uploadFile's `this` type cannot be named here.
  await (input as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(file);
}

/** A definition list as label → value. */
const factsOf = (page: Page, selector: string) =>
  page.evaluate(`Object.fromEntries(Array.from(document.querySelectorAll(${JSON.stringify(`${selector} dt`)})).map((dt) => [dt.textContent, dt.nextElementSibling.textContent]))`) as Promise<Record<string, string>>;

interface Flow {
  readonly db: DatabaseKind;
  readonly storage: StorageKind;
  /** '' serves the page at the server's root; '/aviary' embeds the service in a host app. */
  readonly mount: string;
  readonly prefix: string;
  readonly measure: boolean;
}

const report: { screenshots: string[]; axe: Record<string, AxeViolation[]>; metrics?: unknown } = { screenshots: [], axe: {} };

function adminPageFlow(flow: Flow) {
  describe(`admin page in headless Chromium (${flow.db} + ${flow.storage}, served at ${flow.mount || '/'})`, function () {
    this.timeout(300_000);
    let setup: BackendSetup | undefined;
    let t: TestService | undefined;
    let server: Server | undefined;
    let chromium: TestBrowser | undefined;
    let page: Page;
    let base: string;
    let work: string;
    let pdfDir: string;
    let blobs: BlobStore;
    let database: DatabaseBackend;
    let alice: { id: string };
    let jobId: string;
    let archive: string;

    async function shot(name: string, check = true): Promise<void> {
      const file = `${flow.prefix}${name}.png`;
      await page.screenshot({ path: join(SHOTS, file), fullPage: true });
      report.screenshots.push(file);
      if (!check) return;
      const violations = await runAxe(page);
      report.axe[file] = violations;
      assert.deepEqual(serious(violations), [], `serious accessibility problems on ${name}: ${JSON.stringify(serious(violations), null, 1)}`);
    }

    before(async function () {
      const executable = requireChromium(this);
      setup = await backendEnv(this, flow.db, flow.storage);
      ensureAdminPageBuilt();
      mkdirSync(SHOTS, { recursive: true });
      work = await mkdtemp(join(tmpdir(), 'aviary-browser-'));
      pdfDir = join(work, 'pdfs');
      mkdirSync(pdfDir);
      t = await startTestService({ ...setup.env, AUTH_USERNAME: 'root', AUTH_PASSWORD: PASSWORD, PDF_DIR: pdfDir });
      const container = t.service.container!;
      database = container.get<DatabaseBackend>(TOKENS.Database);
      blobs = container.get<BlobStore>(TOKENS.BlobStore);
      const hasher = container.get<PasswordHasher>(TOKENS.PasswordHasher);
      alice = await database.accounts.createUser({ username: 'alice', email: 'alice@example.org', passwordHash: await hasher.hash('alice-password-1'), isAdmin: false });
      const notes = Buffer.from('alice notes, version from the backup');
      await blobs.put(`users/${alice.id}/pdfs/notes.pdf`, chunks(notes), { size: notes.length });

      let app = t.app;
      if (flow.mount) {
        app = express();
        app.get('/', (_req, res) => res.send('host home'));
        app.use(flow.mount, t.service.router);
      }
      server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${flow.mount}/`;

      chromium = await launchChromium(executable);
      page = await chromium.browser.newPage();
      page.setDefaultTimeout(WAIT);
      await page.setViewport({ width: 1280, height: 900 });
      const cdp = await chromium.browser.target().createCDPSession();
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: join(work, 'downloads'), eventsEnabled: true });
    });

    after(async () => {
      await chromium?.close();
      if (server) await new Promise((r) => server!.close(r));
      await t?.stop();
      await setup?.cleanup();
      if (work) await rm(work, { recursive: true, force: true });
      if (report.screenshots.length > 0) writeFileSync(join(OUTPUT, 'admin-page-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    });

    if (flow.measure) {
      it('loads on a cold cache: transfer size (gzip) and time to interactive are recorded', async () => {
        const context = await chromium!.browser.createBrowserContext();
        try {
          const cold = await context.newPage();
          await cold.goto(base, { waitUntil: 'load' });
          await cold.waitForSelector(sel('login-username'));
          await cold.waitForFunction(`performance.getEntriesByName('admin-page-interactive').length > 0`, { timeout: WAIT });
          const metrics = (await cold.evaluate(`(() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource');
            const sum = (key) => nav[key] + resources.reduce((s, r) => s + r[key], 0);
            return {
              requests: 1 + resources.length,
              transfer_bytes: sum('transferSize'),
              encoded_body_bytes: sum('encodedBodySize'),
              decoded_body_bytes: sum('decodedBodySize'),
              dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
              interactive_ms: Math.round(performance.getEntriesByName('admin-page-interactive')[0].startTime),
              resources: resources.map((r) => ({ name: r.name.split('/').pop(), transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize })),
            };
          })()`)) as { encoded_body_bytes: number; decoded_body_bytes: number; interactive_ms: number };
          report.metrics = metrics;
          console.log(`      admin page: ${JSON.stringify(metrics)}`);
          assert.ok(metrics.encoded_body_bytes < metrics.decoded_body_bytes, 'the page and its assets arrive compressed');
        } finally {
          await context.close();
        }
      });
    }

    it('shows the login form, refuses a wrong password saying what to do, and logs in from the keyboard', async () => {
      await page.goto(base, { waitUntil: 'load' });
      await page.waitForSelector(sel('login-username'));
      await shot('01-login');
      await page.locator(sel('login-username')).fill('root');
      await page.locator(sel('login-password')).fill('not-the-password');
      await page.click(sel('login-submit'));
      await waitForText(page, sel('error-message'), /Wrong username or password/);
      await shot('02-login-error');
      await page.locator(sel('login-password')).fill(PASSWORD);
      await page.focus(sel('login-password'));
      await page.keyboard.press('Enter');
      await page.waitForSelector(sel('backup-create'));
      assert.match((await text(page, '.who')) ?? '', /Signed in as root/);
      assert.equal(await text(page, sel('error-message')), '');
    });

    it('creates a backup and shows its live progress until it reaches 100', async () => {
      await page.click(sel('backup-create'));
      // A row that never comes should say what the page said instead.
      await page.waitForSelector(sel('backup-row')).catch(async (error: Error) => {
        throw new Error(`${error.message}; the page's error message: ${JSON.stringify(await text(page, sel('error-message')))}`);
      });
      jobId = (await page.evaluate(`document.querySelector(${JSON.stringify(sel('backup-row'))}).dataset.jobId`)) as string;
      assert.match(jobId, /^[0-9a-f-]{36}$/);
      const progress = `${sel('backup-row', `[data-job-id="${jobId}"]`)} ${sel('backup-progress')}`;
      await page.waitForFunction(
        `(() => { const p = document.querySelector(${JSON.stringify(progress)}); return !!p && p.value === 100 && p.closest('tr').dataset.status === 'completed'; })()`,
        { timeout: WAIT, polling: 100 },
      );
      const rowText = (await text(page, sel('backup-row', `[data-job-id="${jobId}"]`))) ?? '';
      assert.match(rowText, /Manual/);
      assert.match(rowText, /Completed/);
      assert.match(rowText, /all users · documents · pairings/);
      await waitForText(page, sel('backup-status'), /aviary_backup_\d{8}_\d{6}/);
      await shot('03-backups');
      if (flow.measure) {
        await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
        await shot('04-backups-dark');
        // A mobile viewport reloads the page: wait for the data again.
        await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
        await page.waitForSelector(sel('backup-row', `[data-job-id="${jobId}"][data-status="completed"]`));
        await waitForText(page, sel('backup-status'), /aviary_backup_/);
        await shot('05-backups-phone');
        await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
        await page.setViewport({ width: 1280, height: 900 });
        await page.waitForSelector(sel('backup-row', `[data-job-id="${jobId}"][data-status="completed"]`));
      }
    });

    it('downloads the backup, and tar reads the archive', async () => {
      await page.click(`${sel('backup-row', `[data-job-id="${jobId}"]`)} ${sel('backup-download')}`);
      const downloads = join(work, 'downloads');
      const name = await waitUntil('the downloaded archive', () => (existsSync(downloads) ? readdirSync(downloads).find((f) => f.endsWith('.tar.gz')) : undefined));
      archive = join(downloads, name);
      const entries = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(entries[0], 'metadata.json');
      assert.ok(entries.includes('database/users.json'), entries.join(', '));
      assert.ok(entries.includes(`filesystem/documents/${alice.id}/notes.pdf`), entries.join(', '));
      assert.equal(entries[entries.length - 1], 'checksums.sha256');
    });

    it('uploads the archive with a progress bar and shows the whole analysis', async () => {
      // What a selective restore of alice must undo, and what it must leave alone.
      await blobs.delete(`users/${alice.id}/pdfs/notes.pdf`);
      const hasher = t!.service.container!.get<PasswordHasher>(TOKENS.PasswordHasher);
      await database.accounts.createUser({ username: 'bob', email: 'bob@example.org', passwordHash: await hasher.hash('bob-password-1'), isAdmin: false });

      await page.click('nav a[href="#/restore"]');
      await page.waitForSelector(sel('restore-upload-input'));
      await shot('06-restore');
      await chooseFile(page, sel('restore-upload-input'), archive);
      // The bars are shown before the upload and the analysis start; an observer sees them however fast those are.
      await page.evaluate(`window.seenBars = new Set();
        new MutationObserver(() => document.querySelectorAll('progress[data-testid]').forEach((p) => window.seenBars.add(p.dataset.testid)))
          .observe(document.body, { childList: true, subtree: true });`);
      await page.click(sel('restore-upload-submit'));
      await page.waitForSelector(sel('restore-analysis', '[data-valid="true"]'));
      assert.deepEqual(await page.evaluate('Array.from(window.seenBars).sort()'), ['restore-analysis-progress', 'restore-upload-progress']);
      const facts = await factsOf(page, sel('restore-analysis-facts'));
      assert.equal(facts.Users, '2');
      assert.match(facts.Documents, /^1 \(/);
      assert.match(facts.Checksums, /^All \d+ verified$/);
      assert.match(facts.Version, /this service/);
      const analysis = (await text(page, sel('restore-analysis'))) ?? '';
      assert.match(analysis, /Valid: every entry was read and checked/);
      assert.match(analysis, /Rows per table/);
      assert.match(analysis, /api_keys/);
      await shot('07-restore-analysis');
    });

    it('restores only the chosen user after a confirmation naming what is replaced, and shows the result', async () => {
      // Users are offered by name (the id beside it tells namesakes apart).
      const label = await page.$eval(`${sel('restore-user-select')} option[value="${alice.id}"]`, (o) => o.textContent ?? '');
      assert.ok(label.startsWith('alice') && label.includes(alice.id), label);
      await page.select(sel('restore-user-select'), alice.id);
      await page.click(sel('restore-submit'));
      await page.waitForSelector(sel('restore-confirm'), { visible: true });
      const dialog = (await text(page, 'dialog')) ?? '';
      assert.match(dialog, /only 1 user \(alice\)/);
      assert.match(dialog, /Every other user’s rows stay as they are/);
      assert.match(dialog, /safety backup/);
      await shot('08-restore-confirm');
      await page.click(sel('restore-confirm'));
      await page.waitForSelector(sel('restore-result'));
      const result = await factsOf(page, sel('restore-result'));
      assert.equal(result['Documents restored'], '1');
      assert.match(result['Safety backup'], /Backup [0-9a-f]{8}/);
      await shot('09-restore-result');

      assert.equal(await readBlob(blobs, `users/${alice.id}/pdfs/notes.pdf`), 'alice notes, version from the backup');
      assert.ok(await database.accounts.findUserByLogin('bob'), 'a user outside the chosen set is left alone');
      assert.match((await text(page, '.who')) ?? '', /Signed in as root/);
    });

    it('refuses an invalid archive and says why', async () => {
      await chooseFile(page, sel('restore-upload-input'), HOSTILE);
      await page.click(sel('restore-upload-submit'));
      await page.waitForSelector(sel('restore-analysis', '[data-valid="false"]'));
      const message = await waitForText(page, sel('error-message'), /cannot be restored/);
      assert.match(message, /evil\.sh/);
      assert.equal(await page.$(sel('restore-submit')), null, 'no restore is offered');
      await shot('10-restore-invalid');
    });

    it('cancels an upload in flight', async () => {
      const big = join(work, 'aviary_backup_big.tar.gz');
      await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 7));
      // A slow link keeps the upload running until Cancel is pressed.
      await page.emulateNetworkConditions({ download: -1, upload: 64 * 1024, latency: 0 });
      try {
        await chooseFile(page, sel('restore-upload-input'), big);
        await page.click(sel('restore-upload-submit'));
        await page.locator(sel('restore-upload-progress-cancel')).click();
        await page.waitForFunction(`!document.querySelector('[data-testid="restore-upload-progress"]')`, { timeout: WAIT, polling: 100 });
        await waitForText(page, '[role="status"]', /Upload cancelled/);
        assert.equal(await text(page, sel('error-message')), '');
      } finally {
        await page.emulateNetworkConditions(null);
      }
    });

    it('lists the safety backup the restore made, and deletes it after a confirmation', async () => {
      await page.click('nav a[href="#/backups"]');
      const safety = sel('backup-row', '[data-status="completed"]');
      await waitForText(page, `${sel('backup-row')}:first-child`, /Safety \(before a restore\)/);
      const safetyId = (await page.evaluate(`document.querySelector(${JSON.stringify(safety)}).dataset.jobId`)) as string;
      assert.notEqual(safetyId, jobId);
      await page.click(`${sel('backup-row', `[data-job-id="${safetyId}"]`)} ${sel('backup-delete')}`);
      await page.waitForSelector(sel('backup-delete-confirm'), { visible: true });
      await page.click(sel('backup-delete-confirm'));
      await page.waitForFunction(`!document.querySelector('[data-job-id="${safetyId}"]')`, { timeout: WAIT, polling: 100 });
      assert.ok(await page.$(sel('backup-row', `[data-job-id="${jobId}"]`)), 'the other backup stays');
    });

    it('previews and runs the single-user → multi-user migration, and shows the report', async () => {
      const old = Buffer.from('a document from single-user days');
      if (flow.storage === 'filesystem') await writeFile(join(pdfDir, 'old-notes.pdf'), old);
      else await blobs.put('pdfs/old-notes.pdf', chunks(old), { size: old.length });
      await page.click('nav a[href="#/migration"]');
      await page.waitForSelector(sel('migration-preview', '[data-pending="true"]'));
      assert.match((await text(page, sel('migration-preview'))) ?? '', /old-notes\.pdf/);
      await shot('11-migration-preview');
      await page.click(sel('migration-run'));
      await page.click(sel('migration-confirm'));
      await page.waitForSelector(sel('migration-report'));
      const facts = await factsOf(page, sel('migration-report'));
      assert.match(facts.Moved, /^1 document/);
      await page.waitForSelector(sel('migration-preview', '[data-pending="false"]'));
      await shot('12-migration-report');
      const root = await database.accounts.findUserByLogin('root');
      assert.equal(await readBlob(blobs, `users/${root!.id}/pdfs/old-notes.pdf`), 'a document from single-user days');
    });

    it('logs out', async () => {
      await page.click(sel('logout'));
      await page.waitForSelector(sel('login-username'));
      const check = (await page.evaluate(`fetch('api/auth/check').then((r) => r.json())`)) as { authenticated: boolean };
      assert.equal(check.authenticated, false);
    });

    it('a full restore of another installation replaces the accounts, ends the session and says how to log in again', async () => {
      await page.locator(sel('login-username')).fill('root');
      await page.locator(sel('login-password')).fill(PASSWORD);
      await page.click(sel('login-submit'));
      await page.waitForSelector(sel('logout')); // back on the screen of the URL (#/migration)
      await page.click('nav a[href="#/restore"]');
      await chooseFile(page, sel('restore-upload-input'), ANOTHER_INSTALLATION);
      await page.click(sel('restore-upload-submit'));
      await page.waitForSelector(sel('restore-analysis', '[data-valid="true"]'));
      await page.click(sel('restore-submit'));
      await page.waitForSelector(sel('restore-confirm'), { visible: true });
      assert.match((await text(page, 'dialog')) ?? '', /Every database table is replaced/);
      await page.click(sel('restore-confirm'));
      await page.waitForSelector(sel('login-username'));
      await waitForText(page, sel('error-message'), /replaced the user accounts.*Log in with an account from the backup/);
      await shot('13-restore-replaced-accounts');
      assert.equal(await database.accounts.findUserByLogin('root'), null);
    });
  });
}

adminPageFlow({ db: 'sqlite', storage: 'filesystem', mount: '', prefix: 'sqlite-fs-', measure: true });
adminPageFlow({ db: 'postgres', storage: 's3', mount: '/aviary', prefix: 'pg-s3-', measure: false });
