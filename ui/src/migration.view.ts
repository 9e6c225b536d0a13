import { call } from './api';
import { facts, formatBytes, formatTime, h, plural, replace, scroller } from './dom';
import { announce, attempt, confirmAction } from './feedback';
import type { View } from './main';

interface Preview {
  pending: boolean;
  target_user: { id: string; username: string } | null;
  documents: { count: number; total_bytes: number; files: { path: string; size: number; action: string; reason?: string }[] };
  pairing: { present: boolean; will_apply: boolean };
  api_key: string;
  warnings: string[];
}

interface Report {
  moved?: { from: string; to: string; size: number; resumed?: boolean }[];
  skipped?: { path: string; reason: string }[];
  failed?: { path: string; reason: string }[];
  pairing?: string;
  api_key?: string;
  bytes?: number;
  warnings?: string[];
  error?: string;
}

interface Run extends Report {
  run_id: string;
  status: string;
  completed_at: string;
}

interface PastRun {
  id: string;
  status: string;
  started_at: string;
  completed_at: string | null;
  report: Report | null;
}

const ACTIONS: Record<string, string> = { move: 'Move', 'verify-existing': 'Compare with the copy already there, then remove the original', skip: 'Skip' };
const API_KEY: Record<string, string> = {
  'will-create': 'API_KEY becomes an API key of the admin (the old value keeps working)',
  'already-present': 'API_KEY is already an API key of the admin',
  'not-configured': 'No API_KEY is set',
  created: 'API_KEY became an API key of the admin',
};
const PAIRING: Record<string, string> = {
  migrated: 'The pairing file was copied to the admin',
  'kept-existing': 'The admin already had a pairing; the file was left alone',
  absent: 'No pairing file',
  failed: 'The pairing file could not be read',
};

function issues(title: string, items: { path: string; reason: string }[] | undefined): HTMLElement | null {
  if (!items || items.length === 0) return null;
  return h('div', {}, h('h3', {}, `${title}: ${items.length}`), h('ul', { class: 'warnings' }, items.map((i) => h('li', {}, h('span', { class: 'mono' }, i.path), ` — ${i.reason}`))));
}

/** Single-user → multi-user migration: what it would do, running it, and what it did. */
export function migrationView(): View {
  const previewBox = h('div', { class: 'card', testid: 'migration-preview', 'aria-busy': 'true' }, 'Loading…');
  const reportBox = h('div', {});
  const runsBox = h('div', {});
  const runButton = h('button', { type: 'button', class: 'primary', testid: 'migration-run', disabled: true, onclick: () => void run() }, 'Run the migration');
  let disposed = false;
  let preview: Preview | undefined;

  function renderPreview(p: Preview): void {
    previewBox.removeAttribute('aria-busy');
    previewBox.dataset.pending = String(p.pending);
    const shown = p.documents.files.slice(0, 200);
    replace(
      previewBox,
      h('p', { class: p.pending ? 'verdict warn' : 'verdict ok' }, p.pending ? 'There is single-user data to move into the admin’s account.' : 'Nothing to migrate: no single-user data is left.'),
      facts([
        ['Into the account of', p.target_user ? p.target_user.username : 'No admin yet'],
        ['Documents', `${plural(p.documents.count, 'document')} to move (${formatBytes(p.documents.total_bytes)})`],
        ['Pairing file', p.pairing.present ? (p.pairing.will_apply ? 'Copied to the admin' : 'Present, but the admin already has a pairing: left alone') : 'None'],
        ['API key', API_KEY[p.api_key] ?? p.api_key],
      ]),
      shown.length > 0
        ? scroller('Documents to migrate', h('table', {}, h('caption', {}, `Documents (${p.documents.files.length}${shown.length < p.documents.files.length ? `, first ${shown.length} shown` : ''})`),
            h('thead', {}, h('tr', {}, ['File', 'Size', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, shown.map((f) => h('tr', {}, h('th', { scope: 'row', class: 'mono' }, f.path), h('td', {}, formatBytes(f.size)), h('td', {}, `${ACTIONS[f.action] ?? f.action}${f.reason ? ` (${f.reason})` : ''}`))))))
        : null,
      p.warnings.length > 0 ? h('ul', { class: 'warnings' }, p.warnings.map((w) => h('li', {}, w))) : null,
      h('div', { class: 'actions' }, runButton),
    );
    runButton.disabled = !p.pending || !p.target_user;
  }

  function renderReport(r: Run): void {
    replace(
      reportBox,
      h('section', { class: 'card', testid: 'migration-report', 'aria-labelledby': 'migration-report-title' },
        h('h2', { id: 'migration-report-title', tabindex: -1 }, r.status === 'completed' ? 'Migration completed' : 'Migration stopped'),
        r.error ? h('p', { class: 'error-text' }, r.error) : null,
        facts([
          ['Moved', `${plural(r.moved?.length ?? 0, 'document')} (${formatBytes(r.bytes ?? 0)})`],
          ['Pairing', PAIRING[r.pairing ?? 'absent'] ?? r.pairing ?? '–'],
          ['API key', API_KEY[r.api_key ?? 'not-configured'] ?? r.api_key ?? '–'],
          ['Finished', formatTime(r.completed_at)],
        ]),
        issues('Skipped', r.skipped),
        issues('Failed', r.failed),
        (r.warnings ?? []).length > 0 ? h('ul', { class: 'warnings' }, r.warnings!.map((w) => h('li', {}, w))) : null),
    );
    reportBox.querySelector<HTMLElement>('h2')?.focus();
  }

  function renderRuns(runs: PastRun[]): void {
    if (runs.length === 0) {
      replace(runsBox, h('p', { class: 'hint' }, 'No runs yet.'));
      return;
    }
    replace(runsBox, scroller('Past runs', h('table', {}, h('caption', { class: 'visually-hidden' }, 'Past runs'),
      h('thead', {}, h('tr', {}, ['Started', 'Status', 'Moved', 'Problems'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, runs.map((r) => h('tr', {},
        h('th', { scope: 'row' }, formatTime(r.started_at)),
        h('td', {}, r.status),
        h('td', {}, r.report ? `${plural(r.report.moved?.length ?? 0, 'document')} (${formatBytes(r.report.bytes ?? 0)})` : '–'),
        h('td', {}, r.report?.error ?? (r.report?.failed?.length ? `${r.report.failed.length} failed` : 'None'))))))));
  }

  async function load(): Promise<void> {
    const [p, runs] = await Promise.all([
      call<Preview>('GET', 'api/admin/migrations/single-to-multi'),
      call<{ runs: PastRun[] }>('GET', 'api/admin/migrations/single-to-multi/runs'),
    ]);
    if (disposed) return;
    preview = p;
    renderPreview(p);
    renderRuns(runs.runs);
  }

  async function run(): Promise<void> {
    if (!preview) return;
    const ok = await confirmAction({
      title: 'Run the single-user → multi-user migration?',
      body: [h('p', {}, `${plural(preview.documents.count, 'document')} move into ${preview.target_user?.username ?? 'the admin'}’s account. Each copy is verified before its original is removed; a second run moves nothing.`)],
      confirmLabel: 'Run it',
      confirmTestid: 'migration-confirm',
    });
    if (!ok) return;
    runButton.disabled = true;
    await attempt(async () => {
      const result = await call<Run>('POST', 'api/admin/migrations/single-to-multi');
      announce(`Migration ${result.status}`);
      await load();
      renderReport(result);
    });
  }

  const element = h(
    'section',
    { 'aria-labelledby': 'migration-title' },
    h('h1', { id: 'migration-title', tabindex: -1 }, 'Single-user → multi-user'),
    h('p', { class: 'hint' }, 'Moves what a single-user Aviary kept (documents in PDF_DIR, the pairing file, API_KEY) into the first admin’s account.'),
    h('h2', {}, 'What a run would do'),
    previewBox,
    reportBox,
    h('h2', {}, 'Past runs'),
    runsBox,
  );
  void attempt(load);
  return {
    element,
    dispose() {
      disposed = true;
    },
  };
}
