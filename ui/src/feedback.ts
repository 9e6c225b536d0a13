import { h, replace, uid } from './dom';

/** The page's two live regions: errors (assertive, `error-message`) and progress news (polite). */
export const errorRegion = h('div', { class: 'msg error', role: 'alert', testid: 'error-message' });
export const statusRegion = h('div', { class: 'visually-hidden', role: 'status' });

export function showError(error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  replace(errorRegion, h('strong', {}, 'Error: '), text);
}

export function clearError(): void {
  errorRegion.replaceChildren();
}

export function announce(text: string): void {
  statusRegion.textContent = text;
}

/** Runs an action, showing its error (if any) in the error region; never rejects. */
export async function attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
  clearError();
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  }
}

export interface ConfirmOptions {
  readonly title: string;
  readonly body: (Node | string)[];
  readonly confirmLabel: string;
  readonly confirmTestid?: string;
  readonly danger?: boolean;
}

/** A modal confirmation (native <dialog>: focus is trapped and Escape cancels). */
export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const titleId = uid('dialog-title');
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' });
    const finish = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    const cancel = h('button', { type: 'button', onclick: () => finish(false) }, 'Cancel');
    replace(
      dialog,
      h('h2', { id: titleId }, options.title),
      h('div', { class: 'dialog-body' }, ...options.body),
      h(
        'div',
        { class: 'actions' },
        cancel,
        h('button', { type: 'button', class: options.danger ? 'danger' : 'primary', testid: options.confirmTestid, onclick: () => finish(true) }, options.confirmLabel),
      ),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** Calls `tick` until it returns false or `stop()` is called; waits the number of milliseconds it returns (or `ms` for true). */
export function poll(tick: () => Promise<boolean | number>, ms: number): { stop(): void } {
  let stopped = false;
  let timer: number | undefined;
  const run = async () => {
    if (stopped) return;
    let again: boolean | number = false;
    try {
      again = await tick();
    } catch (error) {
      showError(error);
    }
    if (again !== false && !stopped) timer = window.setTimeout(run, again === true ? ms : again);
  };
  void run();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}
