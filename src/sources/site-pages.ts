// What the sources that read a site's API page by page (WordPress, Drupal) share: where the API is,
// one page of JSON through the product's HTTP client (refused by name when the site answers an HTML
// page instead), and the checks that stop a listing that would never end.
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedConfig } from '../domain/config-params';
import { HttpError, redactUrl, type HttpClient } from '../http/client';
import { SourceError } from './source';

/**
 * More pages than a DMO's site has (a million posts at 100 a page): a listing that claims or reaches
 * more pages without end, and the run fails rather than read forever.
 */
export const maxPages = 10_000;

/** The site's address (import.base_url), or a SourceError naming the setting. */
export function siteBaseUrl(config: ResolvedConfig, site: string): URL {
  const base = config.import.base_url;
  if (!base) throw new SourceError(`import.base_url is not set: a ${site} source reads the site at that address (such as https://www.example.org)`);
  return new URL(base);
}

/**
 * HTTP Basic sign-in of a site that needs it (a WordPress application password, a Drupal user): both
 * import.username and the password credential, or neither; one without the other is refused rather
 * than read as the public site, whose public posts alone would be staged as all the site holds. A
 * signed-in page redirected to another origin is refused (fetchJsonPage), for the same reason.
 */
export function basicAuth(config: ResolvedConfig, credentials: Readonly<Record<string, string>>, passwordName: string, site: string): Record<string, string> {
  const username = config.import.username;
  const password = credentials[passwordName];
  if (!username && !password) return {};
  if (!username) throw new SourceError(`the ${passwordName} credential is set but import.username is not: a ${site} site signs in with both`);
  if (!password) throw new SourceError(`import.username is set but the ${passwordName} credential is not: set it on the config (it is stored encrypted)`);
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

/** The API's root under the site (`/wp-json`, `/jsonapi`), also when base_url already ends with it. */
export function apiRoot(base: URL, root: string): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(`/${root}`) ? path : `${path}/${root}`;
  return url;
}

export interface JsonPage {
  /** Where the answer came from, after redirects (relative links resolve against it). */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface JsonPageOptions {
  accept: string;
  /** What the page is the JSON of, in messages ("the WordPress REST API"). */
  api: string;
  /** What an HTML answer is said not to be, and what to check (default: the JSON of `api`; base_url, and that the site's API is on and public). */
  notHtml?: { expected: string; check: string };
  headers?: Record<string, string>;
  /** Added to the URL's query, never shown in a message (an API key in a query parameter). */
  secretQuery?: Record<string, string>;
  /**
   * The call carries a credential (a key in a header or the query): a redirect to another origin is
   * refused, so the credential never goes there and the API is not read on without it. An
   * authorization header sets it by itself.
   */
  sameOrigin?: boolean;
  /** Takes the credential out of every message, the HTTP client's included (in a parameter of any name, echoed in a page). */
  scrub?: (text: string) => string;
  /** A 401 or 403 is a sign-in refused or missing, said so (WordPress, Drupal); 'as-is': the client's error, scrubbed. */
  refusal?: 'sign-in' | 'as-is';
  signal?: AbortSignal;
}

/**
 * One page of a site's API as JSON. Retries, limits and the address guard are the HTTP client's; an
 * HTML answer (a maintenance page, a login wall, a CDN's challenge) is refused here, naming the page's
 * title, since "malformed JSON at position 0" would not tell an admin what the site said.
 */
export async function fetchJsonPage(http: HttpClient, url: URL, options: JsonPageOptions): Promise<JsonPage> {
  const scrub = options.scrub ?? ((text: string) => text);
  const signedIn = options.headers?.authorization !== undefined;
  const response = await http.getBuffer(url, {
    headers: { ...options.headers, accept: options.accept }, ...(options.signal ? { signal: options.signal } : {}),
    ...(options.secretQuery ? { searchParams: options.secretQuery } : {}),
    // signed in, a redirect off the site would read on without the sign-in: only the public part, taken as all of it
    sameOrigin: signedIn || options.sameOrigin === true,
  }).catch((error: unknown) => {
    if (!(error instanceof HttpError)) throw error;
    if ((options.refusal ?? 'sign-in') === 'sign-in' && (error.status === 401 || error.status === 403)) {
      throw new SourceError(`${scrub(error.message)}: ${signedIn
        ? 'the site refused the sign-in; check import.username and the password credential'
        : 'the site needs signing in; set import.username and the password credential'}`);
    }
    if (!options.scrub) throw error;
    throw new HttpError(scrub(error.message), {
      kind: error.kind, method: error.method, url: scrub(error.url), status: error.status, retryAfterMs: error.retryAfterMs, attempts: error.attempts, code: error.code,
    });
  });
  const shown = scrub(redactUrl(url));
  const contentType = String(response.headers['content-type'] ?? '');
  const text = new TextDecoder('utf-8').decode(response.body); // JSON is UTF-8 (RFC 8259); TextDecoder drops a BOM
  if (/html/i.test(contentType) || /^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
    const { expected, check } = options.notHtml ?? { expected: `the JSON of ${options.api}`, check: "check import.base_url, and that the site's API is on and public" };
    throw new SourceError(
      `GET ${shown} answered an HTML page${title ? ` ("${scrub(title.slice(0, 80))}")` : ''} (${contentType || 'no Content-Type'}), not ${expected}: ${check}`,
    );
  }
  try {
    return { url: response.url, headers: response.headers, body: JSON.parse(text) };
  } catch (error) {
    throw new SourceError(`GET ${shown} answered ${text.trim() ? `malformed JSON (${scrub((error as Error).message)})` : 'an empty body'}, not the JSON of ${options.api}`);
  }
}

/** A JSON value in a message: its kind and, for an object, its first keys (never its content). */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value !== 'object') return `a ${typeof value}`;
  const keys = Object.keys(value);
  return keys.length ? `an object with ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}` : 'an empty object';
}

/**
 * The ids of the records read so far and the page each came on: a site that ignores the page asked
 * for, or whose records move while they are read, gives one twice, and the run fails instead of
 * looping or staging a record twice. Ids only, never the records.
 */
export class SeenRecords {
  private readonly pageOf = new Map<string, number>();

  constructor(private readonly noun: string) {}

  add(id: string | number, page: number, url: URL): void {
    const key = String(id);
    const earlier = this.pageOf.get(key);
    if (earlier !== undefined) {
      throw new SourceError(
        `GET ${redactUrl(url)} (page ${page}) gave ${this.noun} ${key} again, already read on page ${earlier}: ` +
        `the site repeats its pages (it would never end), or its ${this.noun}s changed while they were read; nothing was imported, run it again`,
      );
    }
    this.pageOf.set(key, page);
  }
}

/** Before page `page` is fetched: a SourceError once a listing has gone past any site's size. */
export function checkPageCount(page: number, url: URL): void {
  if (page > maxPages) {
    throw new SourceError(`GET ${redactUrl(url)}: more than ${maxPages} pages, more than any site we read has; the site seems to page without end`);
  }
}
