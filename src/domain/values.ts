// Readers of raw cell values (a CSV cell, a JSON value) into the typed values validation works on.
// "Cannot be read" (a latitude "abc") rejects a record; "readable but doubtful" is a warning, so
// the readers only answer whether a value can be read, and the likely-* checks only advise.

export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A cell with nothing in it: the field is missing, which is not the same as unreadable. */
export function isBlank(raw: unknown): boolean {
  return raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '');
}

const plainNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * '45.5' → 45.5; ' -63,5 ' → -63.5 (a comma is a decimal point only when it is the only comma and
 * there is no dot, so '1,234.5' is refused rather than misread); 'abc', '', '1e999' are refused.
 */
export function readNumber(raw: unknown): ReadResult<number> {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, reason: `${raw} is not a finite number` };
  }
  if (typeof raw !== 'string') return { ok: false, reason: `expected a number, got ${describe(raw)}` };
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'is empty' };
  const commas = text.split(',').length - 1;
  const decimal = commas === 1 && !text.includes('.') ? text.replace(',', '.') : text;
  if (!plainNumber.test(decimal)) return { ok: false, reason: `"${text}" is not a number` };
  const value = Number(decimal);
  if (!Number.isFinite(value)) return { ok: false, reason: `"${text}" is out of range` };
  return { ok: true, value };
}

/**
 * A list cell split on `separator` (`transform.list_separator`), or a JSON array; items trimmed,
 * empty items dropped.
 */
export function readList(raw: unknown, separator = '|'): string[] {
  if (isBlank(raw)) return [];
  const items: unknown[] = Array.isArray(raw) ? raw : separator === '' ? [raw] : String(raw).split(separator);
  return items
    .filter((item) => item !== null && item !== undefined)
    .map((item) => String(item).trim())
    .filter((item) => item !== '');
}

/** One '@', something before it, a dotted domain after it, no spaces. */
export function isLikelyEmail(value: string | null | undefined): boolean {
  return /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/.test(value?.trim() ?? '');
}

/** An absolute http(s) URL to a dotted host name or an IP address: what a visitor's browser can open. */
export function isLikelyUrl(value: string | null | undefined): boolean {
  const text = value?.trim() ?? '';
  if (text === '' || /\s/.test(text)) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.hostname.includes('.') || url.hostname.startsWith('[');
}

const minimumPhoneDigits = 5;

/**
 * The digits of a phone number, with its international '+' when it has one: '+1 (555) 123-4567' →
 * '+15551234567'. An extension ('ext. 12', 'x12', '#12') is dropped rather than glued onto the
 * number. Null when fewer than 5 digits remain: that is not a phone number.
 */
export function normalizePhone(raw: string | null | undefined): string | null {
  const text = (raw ?? '').trim();
  const number = text.replace(/\s*(?:ext\.?|extension|x|#)\s*\d*\s*$/i, '');
  const digits = number.replace(/\D/g, '');
  if (digits.length < minimumPhoneDigits) return null;
  // The '+' counts only before the first digit ('Tel: +1 902...'); anywhere else it is noise.
  return /^[^\d+]*\+/.test(number) ? `+${digits}` : digits;
}

function describe(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  return typeof raw === 'object' ? 'an object' : typeof raw;
}
