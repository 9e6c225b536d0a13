import { call } from './api';
import { h } from './dom';
import { attempt } from './feedback';

/** The login form; it uses the same session cookie as the API. */
export function loginView(onLoggedIn: () => Promise<void>): HTMLElement {
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, testid: 'login-username' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, testid: 'login-password' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit' }, 'Log in');
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        await attempt(async () => {
          await call('POST', 'api/auth/login', { username: username.value, password: password.value });
          await onLoggedIn();
        });
        submit.disabled = false;
      },
    },
    h('h1', { tabindex: -1 }, 'Log in'),
    h('p', { class: 'hint' }, 'Admins of this Aviary installation manage backups, restores and migrations here.'),
    h('label', { for: 'login-username' }, 'Username or email'),
    username,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    h('div', { class: 'actions' }, submit),
  );
  return h('section', { 'aria-label': 'Log in' }, form);
}
