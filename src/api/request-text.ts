// Text a request may carry that no field of this API can take: a NUL (PostgreSQL's text cannot hold
// one, so it would fail the statement as a 500), a lone UTF-16 surrogate (JSON's "\ud800": not Unicode,
// and pg would store it as U+FFFD), percent-encoding that is not UTF-8 (node's query parser turns it
// into U+FFFD silently), a JSON body that is not UTF-8 (RFC 8259; body-parser would do the same), and
// JSON nested deeper than any contract goes. Each is a 400 naming where it is, checked once for every
// declared route (routes.ts) before its handler reads anything, so a new route cannot forget it.
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { formatPath } from '../contract/errors';
import { textProblem } from '../sources/text-problem';
import { ApiError } from './errors';

/** No request body of this API nests deeper than a few levels (config_params: 5). */
export const maxBodyDepth = 32;

const refused = (where: string, problem: string) =>
  new ApiError(400, 'invalid_request', `${where}: ${problem}`, [{ path: where, message: problem }]);

/** Percent-decoding as node's query parser does it (+ is a space), or null when it is not UTF-8. */
function decodeQueryPart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The raw query string, checked pair by pair: node's parser would turn what is not UTF-8 into U+FFFD. */
function checkQuery(url: string): void {
  const start = url.indexOf('?');
  if (start < 0) return;
  for (const pair of url.slice(start + 1).split('&')) {
    if (!pair) continue;
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const rawValue = equals < 0 ? '' : pair.slice(equals + 1);
    const name = decodeQueryPart(rawName);
    if (name === null) throw refused(`Query parameter ${rawName}`, 'its name is not UTF-8 text once percent-decoded');
    const nameProblem = textProblem(name);
    if (nameProblem) throw refused(`Query parameter ${JSON.stringify(name)}`, `its name ${nameProblem}`);
    const value = decodeQueryPart(rawValue);
    const shown = rawValue.length > 40 ? `${rawValue.slice(0, 40)}…` : rawValue;
    if (value === null) throw refused(`Query parameter ${name}`, `${JSON.stringify(shown)} is not UTF-8 text once percent-decoded`);
    const problem = textProblem(value);
    if (problem) throw refused(`Query parameter ${name}`, problem);
  }
}

/** Every string and key of a parsed JSON body, without recursion (a body may nest thousands deep). */
function checkBody(body: unknown): void {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: body, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) throw refused(formatPath(path), problem);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxBodyDepth) {
      throw refused(formatPath(path.slice(0, 6)) + '…', `the body is nested deeper than ${maxBodyDepth} levels, and no request of this API nests so deep`);
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = textProblem(key);
      if (problem) throw refused(formatPath(path), `the key ${JSON.stringify(key)} ${problem}`);
      stack.push({ value: item, path: [...path, key] });
    }
  }
}

/** Path parameters (decoded by Express), the query string and the JSON body: a 400 at the first that is not text. */
export function refuseUnreadableText(req: Request): void {
  for (const [name, value] of Object.entries(req.params ?? {})) {
    const problem = typeof value === 'string' ? textProblem(value) : null;
    if (problem) throw refused(`Path parameter ${name}`, problem);
  }
  checkQuery(req.originalUrl);
  checkBody(req.body);
}

/** The first byte at which a buffer stops being UTF-8. */
function firstNonUtf8Byte(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    const size = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (!size || !isUtf8(bytes.subarray(i, i + size)) || i + size > bytes.length) return i;
    i += size;
  }
  return bytes.length;
}

/** express.json's verify: a UTF-8 body (the default) must be UTF-8, or the parser would replace what is not with U+FFFD. */
export function requireUtf8Json(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase() !== 'utf-8' || isUtf8(body)) return;
  const at = firstNonUtf8Byte(body);
  const bytes = [...body.subarray(at, at + 4)].map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  throw new ApiError(400, 'invalid_encoding',
    `The request body is not UTF-8 text: byte ${at + 1} starts ${bytes}, which is no UTF-8 character; send JSON encoded as UTF-8`);
}
