import { call } from './api';
import { facts, formatBytes, formatTime, h, plural, replace, scroller, time } from './dom';
import { announce, attempt, clearError, confirmAction, poll, showError } from './feedback';
import type { View } from './main';

interface BackupJob {
  id: string;
  status: 'pending' | 'running' | 'completed' | 'failed';
  progress: number;
  include_files: boolean;
  include_configs: boolean;
  user_ids: string;
  filename: string;
  file_size: number;
  error_message: string;
  created_at: string;
  completed_at: string | null;
  phase?: string;
  bytes_done?: number;
  bytes_total?: number;
  trigger?: 'manual' | 'scheduled' | 'safety' | string;
  tables?: string[];
  warnings?: string[];
}

interface Brief {
  job_id: string;
  filename: string | null;
  file_size: number | null;
  completed_at: string | null;
  trigger: string;
  error_message: string | null;
}

interface BackupStatus {
  last_success: Brief | null;
  last_failure: Brief | null;
  schedule: string | null;
  next_scheduled_run: string | null;
  retention: { count: number; days: number | null };
}

const TRIGGERS: Record<string, string> = { manual: 'Manual', scheduled: 'Scheduled', safety: 'Safety (before a restore)' };
const STATUS_TEXT: Record<string, string> = { pending: 'Queued', running: 'Running', completed: 'Completed', failed: 'Failed' };
const active = (job: BackupJob) => job.status === 'pending' || job.status === 'running';

function contents(job: BackupJob): string {
  const parts = [job.user_ids ? `users ${job.user_ids.split(',').map((id) => id.slice(0, 8)).join(', ')}` : 'all users'];
  parts.push(job.include_files ? 'documents' : 'no documents');
  parts.push(job.include_configs ? 'pairings' : 'no pairings');
  if (job.tables && job.tables.length > 0) parts.push(`tables ${job.tables.join(', ')}`);
  return parts.join(' · ');
}

function progressText(job: BackupJob): string {
  if (job.status === 'pending') return 'Waiting to start';
  if (job.status !== 'running') return '';
  const bytes = job.bytes_total ? ` · ${formatBytes(job.bytes_done ?? 0)} of ${formatBytes(job.bytes_total)}` : '';
  return `${job.phase ?? 'working'} · ${job.progress}%${bytes}`;
}

/** Backups: schedule and last success, a create form with options, the list with live progress. */
export function backupsView(): View {
  const statusBox = h('div', { class: 'card', 'aria-busy': 'true' }, 'Loading…');
  const body = h('tbody');
  const empty = h('p', { class: 'hint', hidden: true }, 'No backups yet. Create the first one above.');
  const rows = new Map<string, HTMLTableRowElement>();
  const known = new Map<string, string>();
  let watcher: { stop(): void } | undefined;
  let disposed = false;

  const table = h(
    'table',
    { class: 'stack' },
    h('caption', { class: 'visually-hidden' }, 'Backups, newest first'),
    h('thead', {}, h('tr', {}, ['Created', 'Trigger', 'Status', 'Size', 'Contents', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    body,
  );

  function renderStatus(s: BackupStatus): void {
    statusBox.removeAttribute('aria-busy');
    const ok = s.last_success;
    const bad = s.last_failure;
    replace(
      statusBox,
      facts([
        ['Last successful backup', ok ? [time(ok.completed_at), ` · ${ok.filename ?? ''} · ${formatBytes(ok.file_size)} · ${TRIGGERS[ok.trigger] ?? ok.trigger}`] : 'None yet'],
        ['Last failure', bad ? [time(bad.completed_at), ` · ${bad.error_message ?? ''}`] : 'None'],
        ['Schedule', s.schedule ? [`${s.schedule} (UTC) · next run `, time(s.next_scheduled_run)] : 'Off: set BACKUP_SCHEDULE (e.g. @daily) to back up automatically'],
        ['Retention', `${s.retention.count === 0 ? 'Every backup is kept' : `The ${plural(s.retention.count, 'newest backup')} are kept`}${s.retention.days ? `; backups older than ${plural(s.retention.days, 'day')} are deleted` : ''}`],
      ], 'backup-status'),
    );
  }

  function fillRow(row: HTMLTableRowElement, job: BackupJob): void {
    row.dataset.status = job.status;
    const progress = h('progress', { max: 100, value: job.status === 'completed' ? 100 : job.progress, testid: 'backup-progress', 'aria-label': `Progress of the backup created ${formatTime(job.created_at)}` });
    const statusCell = h('td', { 'data-label': 'Status' }, h('span', { class: `badge ${job.status}` }, STATUS_TEXT[job.status] ?? job.status), ' ', progress, h('span', { class: 'sub' }, progressText(job)));
    if (job.status === 'failed' && job.error_message) statusCell.append(h('span', { class: 'sub error-text' }, job.error_message));
    for (const w of job.warnings ?? []) statusCell.append(h('span', { class: 'sub warn-text' }, `Warning: ${w}`));
    const name = job.filename || 'backup';
    const actions = h('div', { class: 'row-actions' });
    if (job.status === 'completed') {
      actions.append(h('a', { class: 'button', href: `api/admin/backup-job/${job.id}/download`, download: job.filename || true, testid: 'backup-download' }, 'Download', h('span', { class: 'visually-hidden' }, ` ${name}`)));
    }
    actions.append(
      h('button', { type: 'button', class: 'danger', disabled: job.status === 'running', testid: 'backup-delete', onclick: () => remove(job) }, 'Delete', h('span', { class: 'visually-hidden' }, ` ${name}`)),
    );
    replace(
      row,
      h('th', { scope: 'row' }, time(job.created_at), job.filename ? h('span', { class: 'sub mono' }, job.filename) : null),
      h('td', { 'data-label': 'Trigger' }, TRIGGERS[job.trigger ?? 'manual'] ?? job.trigger),
      statusCell,
      h('td', { 'data-label': 'Size' }, job.status === 'completed' ? formatBytes(job.file_size) : '–'),
      h('td', { 'data-label': 'Contents' }, contents(job)),
      h('td', {}, actions),
    );
  }

  // Rows are updated in place so that keyboard focus is not lost while progress changes.
  function renderJobs(jobs: BackupJob[]): void {
    const ids = new Set(jobs.map((j) => j.id));
    for (const [id, row] of rows) {
      if (!ids.has(id)) {
        row.remove();
        rows.delete(id);
      }
    }
    jobs.forEach((job, index) => {
      let row = rows.get(job.id);
      if (!row) {
        row = h('tr', { testid: 'backup-row' });
        row.dataset.jobId = job.id;
        rows.set(job.id, row);
      }
      const signature = JSON.stringify(job);
      if (known.get(job.id) !== signature) {
        const focused = row.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.testid : undefined;
        fillRow(row, job);
        if (focused) row.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
        const before = known.get(job.id);
        if (before && JSON.parse(before).status !== job.status) announce(`Backup ${STATUS_TEXT[job.status]?.toLowerCase() ?? job.status}${job.filename ? `: ${job.filename}` : ''}`);
        known.set(job.id, signature);
      }
      if (body.children[index] !== row) body.insertBefore(row, body.children[index] ?? null);
    });
    empty.hidden = jobs.length > 0;
  }

  // Every second while a backup is queued or running; every 15 s otherwise, so scheduled backups show up.
  // A refresh that fails (the service busy or restarting) shows its error and is tried again in a
  // few seconds: left to `poll`, one failed request stopped the list for good, and a queued backup
  // never appeared.
  let refreshFailed = false;
  async function refresh(): Promise<number | false> {
    let list: { jobs: BackupJob[] };
    let status: BackupStatus;
    try {
      [list, status] = await Promise.all([
        call<{ jobs: BackupJob[] }>('GET', 'api/admin/backup-jobs'),
        call<BackupStatus>('GET', 'api/admin/backup-status'),
      ]);
    } catch (error) {
      if (disposed || (error as { status?: number }).status === 401) throw error;
      showError(error);
      refreshFailed = true;
      return 5000;
    }
    if (disposed) return false;
    if (refreshFailed) clearError();
    refreshFailed = false;
    renderJobs(list.jobs);
    renderStatus(status);
    return list.jobs.some(active) ? 1000 : 15_000;
  }

  function watch(): void {
    watcher?.stop();
    watcher = poll(refresh, 1000);
  }

  async function remove(job: BackupJob): Promise<void> {
    const ok = await confirmAction({
      title: 'Delete this backup?',
      body: [h('p', {}, `${job.filename || 'This backup'} (${formatBytes(job.file_size)}, created ${formatTime(job.created_at)}) and its archive file are deleted. This cannot be undone.`)],
      confirmLabel: 'Delete backup',
      confirmTestid: 'backup-delete-confirm',
      danger: true,
    });
    if (!ok) return;
    await attempt(async () => {
      await call('DELETE', `api/admin/backup-job/${job.id}`);
      announce('Backup deleted');
      await refresh();
    });
    (table.querySelector<HTMLElement>('[data-testid="backup-delete"]') ?? createButton).focus();
  }

  const files = h('input', { type: 'checkbox', id: 'backup-files', checked: true });
  const configs = h('input', { type: 'checkbox', id: 'backup-configs', checked: true });
  const users = h('input', { id: 'backup-users', 'aria-describedby': 'backup-users-hint', autocomplete: 'off', spellcheck: 'false' });
  const createButton = h('button', { type: 'submit', class: 'primary', testid: 'backup-create' }, 'Create backup');
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        createButton.disabled = true;
        await attempt(async () => {
          const query = new URLSearchParams({ include_files: String(files.checked), include_configs: String(configs.checked) });
          const ids = users.value.split(/[\s,]+/).filter(Boolean);
          if (ids.length > 0) query.set('user_ids', ids.join(','));
          await call('POST', `api/admin/backup-job?${query}`);
          announce('Backup queued');
          watch();
        });
        createButton.disabled = false;
      },
    },
    h('fieldset', {}, h('legend', {}, 'Include'),
      h('div', { class: 'check' }, files, h('label', { for: 'backup-files' }, 'Documents (every user’s files)')),
      h('div', { class: 'check' }, configs, h('label', { for: 'backup-configs' }, 'reMarkable pairings (device tokens)'))),
    h('label', { for: 'backup-users' }, 'Only these users (optional)'),
    users,
    h('p', { class: 'hint', id: 'backup-users-hint' }, 'User ids separated by commas or spaces. Leave empty to back up every user.'),
    h('div', { class: 'actions' }, createButton),
  );

  const element = h(
    'section',
    { 'aria-labelledby': 'backups-title' },
    h('h1', { id: 'backups-title', tabindex: -1 }, 'Backups'),
    h('h2', {}, 'Schedule and last backup'),
    statusBox,
    h('h2', {}, 'New backup'),
    form,
    h('h2', {}, 'All backups'),
    scroller('Backup list', table),
    empty,
  );
  watch();
  return {
    element,
    dispose() {
      disposed = true;
      watcher?.stop();
    },
  };
}
