import './styles.css';
import { call, whenSessionEnds } from './api';
import { backupsView } from './backups.view';
import { h, replace } from './dom';
import { attempt, clearError, errorRegion, showError, statusRegion } from './feedback';
import { loginView } from './login.view';
import { migrationView } from './migration.view';
import { restoreView } from './restore.view';

export interface View {
  readonly element: HTMLElement;
  /** Stops timers and uploads when the operator leaves the screen. */
  dispose(): void;
}

interface User {
  readonly username: string;
  readonly is_admin: boolean;
}

const SCREENS = [
  { hash: '#/backups', label: 'Backups', make: backupsView },
  { hash: '#/restore', label: 'Restore', make: restoreView },
  { hash: '#/migration', label: 'Single → multi-user', make: migrationView },
] as const;

const app = document.getElementById('app')!;
const main = h('main', { id: 'main', tabindex: -1 });
const nav = h('nav', { 'aria-label': 'Sections', class: 'nav' });
const who = h('div', { class: 'who' });
let current: View | undefined;
let user: User | undefined;

function skipLink(): HTMLElement {
  return h('a', {
    class: 'skip', href: '#main',
    onclick: (e: Event) => {
      e.preventDefault();
      main.focus();
    },
  }, 'Skip to content');
}

function showScreen(): void {
  current?.dispose();
  current = undefined;
  if (!user) return;
  const screen = SCREENS.find((s) => s.hash === location.hash) ?? SCREENS[0];
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === screen.hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${screen.label} · Aviary backup`;
  current = screen.make();
  replace(main, current.element);
  // Screen reader and keyboard users land on the new screen's heading.
  current.element.querySelector<HTMLElement>('h1')?.focus();
}

function showLogin(message?: string): void {
  current?.dispose();
  current = undefined;
  user = undefined;
  nav.replaceChildren();
  who.replaceChildren();
  document.title = 'Log in · Aviary backup';
  const view = loginView(async () => {
    await start();
  });
  replace(main, view);
  if (message) showError(message);
  view.querySelector<HTMLInputElement>('input')?.focus();
}

async function logout(): Promise<void> {
  await attempt(() => call('POST', 'api/auth/logout'));
  showLogin();
}

async function start(): Promise<void> {
  const check = await call<{ authenticated: boolean; user?: User }>('GET', 'api/auth/check');
  if (!check.authenticated || !check.user) {
    showLogin();
    return;
  }
  if (!check.user.is_admin) {
    await call('POST', 'api/auth/logout').catch(() => undefined);
    showLogin(`${check.user.username} is not an admin. Log in with an admin account.`);
    return;
  }
  user = check.user;
  clearError();
  replace(nav, h('ul', {}, SCREENS.map((s) => h('li', {}, h('a', { href: s.hash }, s.label)))));
  replace(
    who,
    h('span', {}, 'Signed in as ', h('strong', {}, user.username)),
    h('button', { type: 'button', testid: 'logout', onclick: logout }, 'Log out'),
  );
  showScreen();
}

whenSessionEnds(() => {
  if (user) showLogin('Your session has ended. Log in again.');
});
window.addEventListener('hashchange', () => {
  clearError();
  showScreen();
});

replace(
  app,
  skipLink(),
  h('header', { class: 'top' }, h('p', { class: 'brand' }, 'Aviary backup'), nav, who),
  h('div', { class: 'messages' }, errorRegion, statusRegion),
  main,
);
start().then(
  // Read by the browser tests as the page's time to interactive.
  () => performance.mark('admin-page-interactive'),
  (error) => {
    replace(main, h('h1', { tabindex: -1 }, 'The service is not answering'));
    showError(error);
  },
);
