// The one way the UI talks to the server: JSON over fetch with the session cookie, errors as ApiError
// carrying the server's own message, and uploads through XMLHttpRequest because fetch cannot report
// upload progress.

import type { ApiErrorBody } from '@contract/errors';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The server's message for one field, from the {path, message} details of a 400. */
  fieldMessage(path: string): string | undefined {
    if (!Array.isArray(this.details)) return undefined;
    const hit = (this.details as { path?: string; message?: string }[]).find((d) => d.path === path);
    return hit?.message;
  }
}

/** Listeners told when the server says the session is gone, so the shell can ask to sign in again. */
const sessionListeners = new Set<() => void>();
export function onSessionExpired(listener: () => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function toApiError(status: number, body: unknown): ApiError {
  const error = (body as ApiErrorBody | undefined)?.error;
  if (error?.message) return new ApiError(status, error.code, error.message, error.details);
  return new ApiError(status, 'http_error', `The server answered ${status}`);
}

function expired(status: number, path: string) {
  // a failed sign-in is a 401 too, but it is not an expired session
  if (status === 401 && !path.startsWith('/api/v1/auth/login')) for (const listener of sessionListeners) listener();
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached: check your connection and try again');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    expired(response.status, path);
    throw toApiError(response.status, parsed);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};

/** A query string from the set values only. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface UploadHandle<T> {
  done: Promise<T>;
  abort(): void;
}

/** Sends a multipart form, reporting the share of bytes sent (0 to 1) as they go. */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed as T);
      else {
        expired(xhr.status, path);
        reject(toApiError(xhr.status, parsed));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted: check your connection and try again'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled'));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
