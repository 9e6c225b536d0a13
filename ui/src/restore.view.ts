import { call, isCancelled, upload, type Upload } from './api';
import { facts, formatBytes, h, plural, replace, scroller } from './dom';
import { announce, attempt, clearError, confirmAction, poll, showError } from './feedback';
import type { View } from './main';

interface Analysis {
  valid: boolean;
  aviary_version: string;
  git_commit: string;
  export_timestamp: string;
  database_type: string;
  user_count: number;
  api_key_count: number;
  document_count: number;
  total_size_bytes: number;
  exported_tables: string[];
  users_exported: string[];
  /** The archive's users by name (older servers send none: ids are shown instead). */
  archive_users?: { id: string; username: string; is_admin: boolean }[];
  errors: string[];
  warnings: string[];
  tables?: Record<string, number>;
  checksums?: { present: boolean; verified: number; mismatches: string[] };
  version?: { archive: string; service: string; comparison: string; requires_force: boolean };
  restore_would_replace?: Record<string, { current: number | null; archive: number }>;
  legacy_configs_used?: string[];
  entries?: number;
  compressed_bytes?: number;
  uncompressed_bytes?: number;
}

interface UploadAnswer {
  upload_id: string;
  filename: string;
  file_size: number;
}

interface RestoreState {
  status: 'running' | 'completed' | 'failed';
  phase: string;
  progress: number;
  error: string | null;
  rows?: Record<string, number>;
  files_restored?: number;
  files_removed?: number;
  safety_backup_job_id?: string | null;
  warnings?: string[];
}

const COMPARISON: Record<string, string> = {
  same: 'the same Aviary release this service implements',
  older: 'an older Aviary release: it is upgraded on restore',
  newer: 'a newer Aviary release than this service implements',
  unknown: 'a version that cannot be compared (for example a development build)',
};

const PHASES: Record<string, string> = {
  locking: 'Waiting for other backups and restores',
  reading: 'Reading and checking the archive',
  'safety-backup': 'Making the safety backup',
  database: 'Replacing database rows',
  files: 'Replacing documents',
  finishing: 'Finishing',
  done: 'Done',
};

function list(items: string[], cls: string): HTMLElement {
  return h('ul', { class: cls }, items.map((i) => h('li', {}, i)));
}

/** Restore: upload (progress, cancel), the full analysis, options, a confirmation, live progress, the result. */
export function restoreView(): View {
  const input = h('input', { type: 'file', id: 'restore-file', accept: '.tar.gz,.tgz,application/gzip', testid: 'restore-upload-input', 'aria-describedby': 'restore-file-hint' });
  const uploadButton = h('button', { type: 'submit', class: 'primary', testid: 'restore-upload-submit' }, 'Upload and check');
  const stage = h('div', { class: 'stage' });
  let sending: Upload<UploadAnswer> | undefined;
  let watcher: { stop(): void } | undefined;
  let uploadId: string | undefined;
  let disposed = false;

  function progressBlock(label: string, testid: string, cancel?: () => void) {
    const bar = h('progress', { max: 100, value: 0, testid, 'aria-label': label });
    const text = h('span', { class: 'sub' }, 'Starting…');
    const block = h('div', { class: 'card' }, h('p', {}, h('strong', {}, label)), bar, text, cancel ? h('div', { class: 'actions' }, h('button', { type: 'button', testid: `${testid}-cancel`, onclick: cancel }, 'Cancel')) : null);
    return { block, set: (percent: number, note: string) => ((bar.value = percent), (text.textContent = note)) };
  }

  async function forget(): Promise<void> {
    if (!uploadId) return;
    const id = uploadId;
    uploadId = undefined;
    await call('DELETE', `api/admin/restore/uploads/${id}`).catch(() => undefined);
  }

  async function start(e: Event): Promise<void> {
    e.preventDefault();
    clearError();
    const file = input.files?.[0];
    if (!file) {
      showError('Choose a backup archive (.tar.gz) first.');
      input.focus();
      return;
    }
    await forget();
    uploadButton.disabled = true;
    const bar = progressBlock(`Uploading ${file.name}`, 'restore-upload-progress', () => sending?.cancel());
    replace(stage, bar.block);
    try {
      sending = upload<UploadAnswer>('api/admin/restore/upload', 'backup_file', file, (loaded, total) =>
        bar.set(total ? Math.round((loaded / total) * 100) : 0, `${formatBytes(loaded)} of ${formatBytes(total)}`));
      const answer = await sending.done;
      uploadId = answer.upload_id;
      announce('Upload complete; checking the archive');
      await analyze(answer);
    } catch (error) {
      replace(stage);
      if (isCancelled(error)) announce('Upload cancelled');
      else showError(error);
    } finally {
      sending = undefined;
      uploadButton.disabled = false;
    }
  }

  async function analyze(answer: UploadAnswer): Promise<void> {
    const bar = progressBlock(`Checking ${answer.filename}`, 'restore-analysis-progress', async () => {
      watcher?.stop();
      await forget();
      replace(stage);
      announce('Check cancelled and upload removed');
    });
    replace(stage, bar.block);
    const id = answer.upload_id;
    watcher = poll(async () => {
      const s = await call<{ status: string; progress: number; message: string }>('GET', `api/admin/restore/uploads/${id}/extraction-status`);
      bar.set(s.progress, s.message || `${s.progress}%`);
      return s.status !== 'completed' && s.status !== 'failed';
    }, 700);
    try {
      const result = await call<{ valid: boolean; metadata: Analysis }>('POST', `api/admin/restore/uploads/${id}/analyze`);
      if (disposed || uploadId !== id) return;
      showAnalysis(answer, result.metadata);
    } finally {
      watcher.stop();
    }
  }

  function showAnalysis(answer: UploadAnswer, a: Analysis): void {
    const replaceRows = a.restore_would_replace ?? {};
    const tableNames = Array.from(new Set([...Object.keys(a.tables ?? {}), ...Object.keys(replaceRows)]));
    const tables = h(
      'table',
      {},
      h('caption', {}, 'Rows per table'),
      h('thead', {}, h('tr', {}, ['Table', 'In the archive', 'In the database now'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, tableNames.map((name) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, String(a.tables?.[name] ?? replaceRows[name]?.archive ?? 0)), h('td', {}, replaceRows[name]?.current === null || replaceRows[name] === undefined ? '–' : String(replaceRows[name].current))))),
    );
    const v = a.version;
    const c = a.checksums;
    const analysis = h(
      'section',
      { class: 'card', testid: 'restore-analysis', 'data-valid': String(a.valid), 'aria-labelledby': 'analysis-title' },
      h('h2', { id: 'analysis-title', tabindex: -1 }, `Analysis of ${answer.filename}`),
      h('p', { class: a.valid ? 'verdict ok' : 'verdict bad' }, a.valid ? 'Valid: every entry was read and checked. It can be restored.' : 'Not restorable: the archive has the problems listed below.'),
      a.errors.length > 0 ? [h('h3', {}, plural(a.errors.length, 'error')), list(a.errors, 'errors')] : null,
      facts([
        ['Written by', `Aviary ${a.aviary_version || 'unknown'}${a.git_commit ? ` (${a.git_commit})` : ''}`],
        ['Exported', a.export_timestamp || '–'],
        ['Database', a.database_type || '–'],
        ['Users', String(a.user_count)],
        ['API keys', String(a.api_key_count)],
        ['Documents', `${a.document_count} (${formatBytes(a.total_size_bytes)})`],
        ['Archive', `${formatBytes(answer.file_size)}${a.entries !== undefined ? `, ${plural(a.entries, 'entry', 'entries')}` : ''}${a.uncompressed_bytes ? `, ${formatBytes(a.uncompressed_bytes)} uncompressed` : ''}`],
        ['Version', v ? `Archive ${v.archive || 'unknown'}, this service ${v.service}: ${COMPARISON[v.comparison] ?? v.comparison}${v.requires_force ? '. Restoring it drops data this service does not know.' : ''}` : '–'],
        ['Checksums', !c ? '–' : !c.present ? 'None in the archive (written by Aviary): contents were checked by reading every entry' : c.mismatches.length === 0 ? `All ${c.verified} verified` : `${c.mismatches.length} mismatched: ${c.mismatches.join(', ')}`],
        ['Tables', a.exported_tables.join(', ') || '–'],
      ], 'restore-analysis-facts'),
      scroller('Rows per table', tables),
      a.warnings.length > 0 ? [h('h3', {}, plural(a.warnings.length, 'warning')), list(a.warnings, 'warnings')] : h('p', { class: 'hint' }, 'No warnings.'),
      a.legacy_configs_used && a.legacy_configs_used.length > 0 ? h('p', { class: 'hint' }, `Old pairing files are used for: ${a.legacy_configs_used.join(', ')}`) : null,
    );
    replace(stage, analysis);
    if (a.valid) {
      stage.append(optionsForm(a));
      announce('Archive checked: valid');
    } else {
      showError(`This archive cannot be restored: ${a.errors[0] ?? 'it is not a complete Aviary backup'}. Choose another archive.`);
    }
    analysis.querySelector<HTMLElement>('h2')?.focus();
  }

  function optionsForm(a: Analysis): HTMLElement {
    const database = h('input', { type: 'checkbox', id: 'restore-db', checked: true });
    const files = h('input', { type: 'checkbox', id: 'restore-files', checked: true });
    const safety = h('input', { type: 'checkbox', id: 'restore-safety', checked: true });
    const force = h('input', { type: 'checkbox', id: 'restore-force' });
    const choices = archiveUsers(a);
    const users = h('select', { id: 'restore-users', multiple: true, size: Math.min(6, Math.max(2, choices.length)), testid: 'restore-user-select', 'aria-describedby': 'restore-users-hint' },
      choices.map((u) => h('option', { value: u.id }, u.label)));
    const submit = h('button', { type: 'submit', class: 'danger', testid: 'restore-submit' }, 'Restore…');
    const form = h(
      'form',
      {
        class: 'card',
        'aria-labelledby': 'restore-options-title',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const chosen = Array.from(users.selectedOptions).map((o) => o.value);
          const ok = await confirmAction({
            title: 'Replace data with this backup?',
            body: consequences(a, chosen, database.checked, files.checked, safety.checked),
            confirmLabel: 'Replace and restore',
            confirmTestid: 'restore-confirm',
            danger: true,
          });
          if (!ok) return;
          submit.disabled = true;
          await run({ upload_id: uploadId, overwrite_database: database.checked, overwrite_files: files.checked, user_ids: chosen, safety_backup: safety.checked, force: force.checked, async: true });
          submit.disabled = false;
        },
      },
      h('h2', { id: 'restore-options-title' }, 'Restore options'),
      h('fieldset', {}, h('legend', {}, 'Replace'),
        h('div', { class: 'check' }, database, h('label', { for: 'restore-db' }, 'Database rows (users, keys, settings, …)')),
        h('div', { class: 'check' }, files, h('label', { for: 'restore-files' }, 'Documents'))),
      h('label', { for: 'restore-users' }, 'Only these users (optional)'),
      users,
      h('p', { class: 'hint', id: 'restore-users-hint' }, 'Select users to restore only them, their rows and their files; every other user is left as it is. Select none to restore everyone.'),
      h('div', { class: 'check' }, safety, h('label', { for: 'restore-safety' }, 'Make a safety backup of the current data first')),
      a.version?.requires_force ? h('div', { class: 'check' }, force, h('label', { for: 'restore-force' }, 'Restore anyway, dropping what this service does not know')) : null,
      h('div', { class: 'actions' }, submit),
    );
    return form;
  }

  /** Whom the archive holds, by name where the server says (username, then the id to tell namesakes apart). */
  function archiveUsers(a: Analysis): { id: string; name: string; label: string }[] {
    if (a.archive_users && a.archive_users.length > 0) {
      return a.archive_users.map((u) => ({ id: u.id, name: u.username, label: `${u.username}${u.is_admin ? ' (admin)' : ''} — ${u.id}` }));
    }
    return a.users_exported.map((id) => ({ id, name: id, label: id }));
  }

  function consequences(a: Analysis, chosen: string[], database: boolean, files: boolean, safety: boolean): HTMLElement[] {
    const out: HTMLElement[] = [];
    const names = new Map(archiveUsers(a).map((u) => [u.id, u.name]));
    const scope = chosen.length > 0 ? `only ${plural(chosen.length, 'user')} (${chosen.map((id) => names.get(id) ?? id).join(', ')})` : 'every user';
    if (database && chosen.length > 0) {
      out.push(h('p', {}, `Database rows of ${scope} (the user, their keys, sessions, folders and documents) are replaced by the backup’s. Every other user’s rows stay as they are.`));
    } else if (database) {
      const rows = Object.entries(a.restore_would_replace ?? {}).map(([t, r]) => `${t}: ${r.current ?? '?'} now → ${r.archive} from the backup`);
      out.push(h('p', {}, 'Every database table is replaced by the backup’s:'), list(rows, 'compact'));
    }
    if (files) out.push(h('p', {}, `Documents of ${scope} are replaced by the ${plural(a.document_count, 'document')} in the backup${chosen.length > 0 ? '' : '; documents of users not in the backup are removed'}.`));
    if (!database && !files) out.push(h('p', {}, 'Nothing is selected to replace: the restore will change nothing.'));
    out.push(h('p', {}, safety ? 'A safety backup of the current data is made first; you can restore it to undo this.' : 'No safety backup is made: the current data cannot be brought back.'));
    return out;
  }

  async function run(body: Record<string, unknown>): Promise<void> {
    const bar = progressBlock('Restoring', 'restore-progress');
    replace(stage, bar.block);
    await attempt(async () => {
      const started = await call<{ job_id: string }>('POST', 'api/admin/restore', body);
      uploadId = undefined;
      await new Promise<void>((resolve) => {
        watcher = poll(async () => {
          let s: RestoreState;
          try {
            s = await call<RestoreState>('GET', `api/admin/restore/${started.job_id}`);
          } catch (error) {
            resolve();
            // Only a committed restore can end the session mid-way: it replaced the accounts.
            if ((error as { status?: number }).status === 401) {
              throw new Error('The restore replaced the user accounts, which ended your session. Log in with an account from the backup.');
            }
            throw error;
          }
          bar.set(s.progress, `${PHASES[s.phase] ?? s.phase} · ${s.progress}%`);
          if (s.status === 'running') return true;
          if (s.status === 'failed') showError(`The restore failed and nothing was changed: ${s.error ?? 'no reason given'}`);
          else showResult(s);
          resolve();
          return false;
        }, 700);
      });
    });
  }

  function showResult(s: RestoreState): void {
    const rows = Object.entries(s.rows ?? {});
    const result = h(
      'section',
      { class: 'card', testid: 'restore-result', 'aria-labelledby': 'result-title' },
      h('h2', { id: 'result-title', tabindex: -1 }, 'Restore completed'),
      facts([
        ['Documents restored', String(s.files_restored ?? 0)],
        ['Documents removed', String(s.files_removed ?? 0)],
        ['Safety backup', s.safety_backup_job_id ? h('a', { href: '#/backups' }, `Backup ${s.safety_backup_job_id.slice(0, 8)} (see Backups)`) : 'None made'],
      ]),
      rows.length > 0
        ? scroller('Rows restored', h('table', {}, h('caption', {}, 'Rows restored per table'),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Table'), h('th', { scope: 'col' }, 'Rows'))),
            h('tbody', {}, rows.map(([t, n]) => h('tr', {}, h('th', { scope: 'row' }, t), h('td', {}, String(n)))))))
        : null,
      (s.warnings ?? []).length > 0 ? [h('h3', {}, plural(s.warnings!.length, 'warning')), list(s.warnings!, 'warnings')] : null,
    );
    replace(stage, result);
    announce('Restore completed');
    result.querySelector<HTMLElement>('h2')?.focus();
  }

  const element = h(
    'section',
    { 'aria-labelledby': 'restore-title' },
    h('h1', { id: 'restore-title', tabindex: -1 }, 'Restore'),
    h('form', { class: 'card', onsubmit: start },
      h('label', { for: 'restore-file' }, 'Backup archive'),
      input,
      h('p', { class: 'hint', id: 'restore-file-hint' }, 'An aviary_backup_….tar.gz written by this service or by Aviary. It is checked completely before anything can be restored.'),
      h('div', { class: 'actions' }, uploadButton)),
    stage,
  );
  return {
    element,
    dispose() {
      disposed = true;
      sending?.cancel();
      watcher?.stop();
    },
  };
}
