/**
 * The service's HTTP API, by relative URL so the page works wherever the service is mounted.
 * Errors carry the service's own `error` text, which says what to do.
 */

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message);
  }
}

// Login answers with Aviary's translation keys; the page says them in words.
const LOGIN_ERRORS: Record<string, string> = {
  'backend.auth.invalid_credentials': 'Wrong username or password. Check both and try again.',
  'backend.auth.too_many_attempts': 'Too many failed attempts from this address. Wait a few minutes, then try again.',
  'backend.auth.account_disabled': 'This account is disabled. Ask another admin to enable it.',
  'backend.auth.invalid_request': 'Enter a username and a password.',
};

let onSessionEnded: () => void = () => undefined;
/** Called when an admin call answers 401: the page goes back to the login form. */
export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler;
}

function errorFrom(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { error?: unknown; code?: unknown };
  const raw = typeof b.error === 'string' && b.error ? b.error : `The service answered ${status} without saying why. Check its log.`;
  const code = typeof b.code === 'string' ? b.code : undefined;
  if (status === 403) return new ApiError(`${raw}: log in with an admin account.`, status, code);
  return new ApiError(LOGIN_ERRORS[raw] ?? raw, status, code);
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('The service cannot be reached. Check that it is running and your network, then try again.', 0, 'network');
  }
  const data = parse(await res.text());
  if (!res.ok) {
    const error = errorFrom(res.status, data);
    if (res.status === 401 && !path.startsWith('api/auth/')) onSessionEnded();
    throw error;
  }
  return data as T;
}

export interface Upload<T> {
  readonly done: Promise<T>;
  cancel(): void;
}

/** A multipart upload with progress (fetch cannot report upload progress) that can be cancelled. */
export function upload<T>(path: string, field: string, file: File, onProgress: (loaded: number, total: number) => void): Upload<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const data = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T);
      else {
        if (xhr.status === 401) onSessionEnded();
        reject(errorFrom(xhr.status, data));
      }
    };
    xhr.onerror = () => reject(new ApiError('The upload was interrupted. Check your network, then upload again.', 0, 'network'));
    xhr.onabort = () => reject(new ApiError('Upload cancelled.', 0, 'cancelled'));
    const form = new FormData();
    form.append(field, file, file.name);
    xhr.send(form);
  });
  return { done, cancel: () => xhr.abort() };
}

export const isCancelled = (e: unknown) => (e as { code?: unknown } | null)?.code === 'cancelled';
