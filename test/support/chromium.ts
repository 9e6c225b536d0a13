/**
 * Headless Chromium from the system's packages (Debian's `chromium`), driven by puppeteer-core: no
 * browser is ever downloaded. Without a browser, browser suites are skipped loudly — except under
 * CI=true, where a missing Chromium is a failure (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export function chromiumPath(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : undefined;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH: try the next name
    }
  }
  return undefined;
}

/** Call at the top of a browser suite's `before`. */
export function requireChromium(ctx: Mocha.Context): string {
  const path = chromiumPath();
  if (path) return path;
  const problem = process.env.CHROMIUM_PATH
    ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`
    : 'no chromium on PATH (install Debian\'s "chromium" package, or set CHROMIUM_PATH)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${problem}`);
  console.warn(`\n  !!! ${problem}: skipping the browser suites. CI would fail here.\n`);
  ctx.skip();
}

export interface TestBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(executablePath: string): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'aviary-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    protocolTimeout: 120_000,
    args: [
      '--no-sandbox', // tests run as root in CI
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
