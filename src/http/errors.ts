// The one error of outbound HTTP: what failed (kind), where (method and a redacted URL), and what the
// server said (status, Retry-After), worded so the person reading a run's error can act on it.

export type HttpErrorKind =
  | 'timeout'
  | 'status'
  | 'too_large'
  | 'blocked_address'
  | 'network'
  | 'invalid_json'
  | 'too_many_redirects'
  | 'retry_after_too_long'
  | 'invalid_url'
  | 'aborted';

export interface HttpErrorDetails {
  kind: HttpErrorKind;
  method: string;
  /** Redacted already (redactUrl). */
  url: string;
  status?: number;
  retryAfterMs?: number;
  /** Requests sent, retries included (0 when refused before any was sent). */
  attempts: number;
  /** The system or got code of a network failure (ECONNRESET, ETIMEDOUT…). */
  code?: string;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly kind: HttpErrorKind;
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly attempts: number;
  readonly code?: string;

  // No `cause`: got's errors carry the request options, headers and API keys included, and loggers
  // serialize causes.
  constructor(message: string, details: HttpErrorDetails) {
    super(message);
    this.kind = details.kind;
    this.method = details.method;
    this.url = details.url;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    this.attempts = details.attempts;
    if (details.code !== undefined) this.code = details.code;
  }
}

// Query parameters that carry secrets in the APIs we call: Google's `key`, `api_key`, `apikey`,
// `access_token`, `token`, `client_secret`, signed URLs' `signature`/`sig`, `password`.
const secretParam = /(^|[_-])(key|apikey|token|secret|password|passwd|signature|sig|auth|authorization)$/i;

export const isSecretParam = (name: string) => secretParam.test(name);

/** The URL as it may appear in messages and logs: no credentials, no secret query values. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: say so without echoing what might be a key.
    return '(invalid URL)';
  }
  if (parsed.username) parsed.username = 'REDACTED';
  if (parsed.password) parsed.password = 'REDACTED';
  for (const name of new Set(parsed.searchParams.keys())) {
    if (secretParam.test(name)) parsed.searchParams.set(name, 'REDACTED');
  }
  return parsed.href;
}
