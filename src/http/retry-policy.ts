// When a failed request is worth sending again, and how long to wait first.

/** Methods that mean the same thing sent twice (RFC 9110 §9.2.2); others retry only when the caller says so. */
export const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * 429 and 5xx say "not now"; 501 (not implemented) and 505 (version not supported) say "never", and
 * a retry would only repeat them.
 */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Network failures that a second try may not meet (a dropped or refused connection, a DNS hiccup). */
export const transientNetworkCodes: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/**
 * Retry-After in milliseconds from now: either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * A date in the past is 0; anything else unreadable is undefined (then our own backoff applies).
 */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The wait before try number `attempt + 1`: the first delay doubled each time, with ±20 % jitter so
 * many workers that failed together do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, firstDelayMs: number, random: () => number = Math.random): number {
  const base = firstDelayMs * 2 ** (attempt - 1);
  return Math.round(base * (0.8 + 0.4 * random()));
}
