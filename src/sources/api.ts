// A paginated JSON API as a source (an affiliate hotel feed, a tourism board's partner API), described
// by the config alone: import.base_url is the first page, import.records_path the list in each page,
// import.pagination how to ask for the next (page number, offset, a cursor or a next URL read from
// the page, or none), import.auth how the key (credentials.api_key) travels, import.query extra
// parameters, import.rate_per_sec the requests a second the whole fleet may send to the API's origin.
// Read a page at a time. The key never appears in a message, a log line or a record: every error of
// a page is scrubbed of it. A listing that would never end (the same cursor, next URL or page content
// again, more than max_pages pages) fails the run, as do the HTTP client's refusals (size, timeout,
// a redirect to a private address, or, while the key goes with the request, to another origin: the
// key must not go there, nor the API be read on without it). A page is site-pages' fetchJsonPage.
import { createHash } from 'node:crypto';
import { readPath } from '../domain/record-paths';
import { redactUrl, type HttpClient } from '../http/client';
import { RateLimiter } from '../queues/rate-limiter';
import { describeJson, fetchJsonPage } from './site-pages';
import { SourceError, type ProblemSink, type SourceInput, type SourceOpener, type SourceRecord } from './source';

type ImportSettings = SourceInput['config']['import'];
type Pagination = NonNullable<ImportSettings['pagination']>;

/** When the config says nothing of max_pages: more pages than a feed we read has, and the run fails rather than read forever. */
const defaultMaxPages = 1_000;

/** How one page is asked for and the next one found. */
interface PageCursor {
  url: URL;
  /** 1-based number of the page among those read. */
  number: number;
}

export const openApi: SourceOpener = async (input, onProblem) => {
  const { config, credentials } = input;
  const settings = config.import;
  if (!settings.base_url) throw new SourceError('import.base_url is not set: an api source reads its first page at that URL');
  const key = credentials.api_key;
  const auth = settings.auth;
  if (auth && !key) throw new SourceError('import.auth says how to send an API key, but the config has no API key among its credentials (api_key)');
  const pagination: Pagination = settings.pagination ?? { type: 'none' };
  if (pagination.type === 'cursor' && !pagination.cursor_path) throw new SourceError('import.pagination.cursor_path is not set: a cursor-paged API names where each page holds the next cursor');
  if (pagination.type === 'next_url' && !pagination.next_path) throw new SourceError('import.pagination.next_path is not set: a next_url-paged API names where each page holds the next page\'s URL');
  const first = new URL(settings.base_url);
  const scrub = scrubberOf(key);
  const client = new ApiPages(input.http, new RateLimiter(input.redis, input.queuePrefix), settings.rate_per_sec, key, auth, scrub, input.signal);
  return { fields: null, format: { pagination: pagination.type }, records: apiRecords(client, first, settings, pagination, scrub, onProblem) };
};

async function* apiRecords(
  client: ApiPages, firstUrl: URL, settings: ImportSettings, pagination: Pagination, scrub: (text: string) => string, onProblem: ProblemSink,
): AsyncGenerator<SourceRecord> {
  const maxPages = pagination.max_pages ?? defaultMaxPages;
  const param = pagination.param ?? (pagination.type === 'page' ? 'page' : pagination.type === 'offset' ? 'offset' : 'cursor');
  const pageSize = pagination.page_size;
  const shown = (url: URL) => scrub(redactUrl(url));

  const withParams = (url: URL, values: Record<string, string | number>) => {
    const next = new URL(url);
    for (const [name, value] of Object.entries(values)) next.searchParams.set(name, String(value));
    return next;
  };
  const base = withParams(firstUrl, { ...settings.query, ...(pageSize && pagination.size_param ? { [pagination.size_param]: pageSize } : {}) });

  // what was seen, to refuse a listing that goes round: cursors and next URLs, and each page's content
  const seenLinks = new Map<string, number>();
  const seenContent = new Map<string, number>();
  let page: PageCursor = { number: 1, url: pagination.type === 'page' || pagination.type === 'offset' ? withParams(base, { [param]: pagination.start ?? (pagination.type === 'page' ? 1 : 0) }) : base };
  let recordNumber = 0;
  let firstPageCount: number | null = null;
  for (;;) {
    if (page.number > maxPages) {
      throw new SourceError(`GET ${shown(page.url)} would be page ${page.number}, more than import.pagination.max_pages (${maxPages}): raise it if the API has that many pages, else it pages without end`);
    }
    const body = await client.get(page.url);
    const list = settings.records_path ? readPath(body as Record<string, unknown>, settings.records_path) : body;
    if (!Array.isArray(list)) {
      const where = settings.records_path ? `import.records_path "${settings.records_path}"` : 'the page (import.records_path is not set)';
      throw new SourceError(`GET ${shown(page.url)} (page ${page.number}): ${where} is ${list === undefined ? 'not in it' : describeJson(list)}, not a list of records; the page is ${describeJson(body)}`);
    }
    if (list.length) {
      const digest = createHash('sha256').update(JSON.stringify(list)).digest('base64');
      const earlier = seenContent.get(digest);
      if (earlier !== undefined) {
        throw new SourceError(`GET ${shown(page.url)} (page ${page.number}) gave the same records as page ${earlier}: the API ignores import.pagination.${pagination.type === 'cursor' || pagination.type === 'next_url' ? 'type' : 'param'} ("${param}") or pages without end; nothing was imported`);
      }
      seenContent.set(digest, page.number);
    }
    for (const [i, record] of list.entries()) {
      recordNumber += 1;
      if (typeof record === 'object' && record !== null && !Array.isArray(record)) yield { line: recordNumber, fields: record as Record<string, unknown> };
      else await onProblem({ line: recordNumber, reason: `Record ${i + 1} of page ${page.number} is ${describeJson(record)}, not a record (a JSON object)` });
    }
    firstPageCount ??= list.length;

    const next = nextPage(page, body, list.length);
    if (!next) return;
    page = next;
  }

  /** The next page to ask for, or null when this one was the last. */
  function nextPage(current: PageCursor, body: unknown, count: number): PageCursor | null {
    if (pagination.type === 'none' || count === 0) return null;
    const number = current.number + 1;
    if (pagination.type === 'page' || pagination.type === 'offset') {
      // a page shorter than asked for (or than the first) is the last: no empty page is asked for after it
      if (count < (pageSize ?? firstPageCount ?? count)) return null;
      const at = Number(current.url.searchParams.get(param));
      return { number, url: withParams(current.url, { [param]: pagination.type === 'page' ? at + 1 : at + count }) };
    }
    const path = pagination.type === 'cursor' ? pagination.cursor_path! : pagination.next_path!;
    const value = readPath(body as Record<string, unknown>, path);
    if (value === undefined || value === null || value === '' || value === false) return null;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new SourceError(`GET ${shown(current.url)} (page ${current.number}): import.pagination.${pagination.type === 'cursor' ? 'cursor_path' : 'next_path'} "${path}" is ${describeJson(value)}, not a ${pagination.type === 'cursor' ? 'cursor' : 'URL'}`);
    }
    let url: URL;
    if (pagination.type === 'cursor') url = withParams(base, { [param]: value });
    else {
      try {
        url = new URL(String(value), current.url);
      } catch {
        throw new SourceError(`GET ${shown(current.url)} (page ${current.number}): the next page's URL at "${path}" is not a URL`);
      }
      // the key goes with every request: never to another origin than the one configured
      if (url.origin !== firstUrl.origin) {
        throw new SourceError(`GET ${shown(current.url)} (page ${current.number}) links its next page to ${shown(url)}, another origin than import.base_url's; it is not followed, as the API key would go with it`);
      }
    }
    const link = pagination.type === 'cursor' ? `cursor ${String(value)}` : url.href;
    const earlier = seenLinks.get(link);
    if (earlier !== undefined) {
      throw new SourceError(`GET ${shown(current.url)} (page ${current.number}) gives as its next page the ${pagination.type === 'cursor' ? 'cursor' : 'URL'} of page ${earlier} again: the API pages without end; nothing was imported`);
    }
    seenLinks.set(link, number);
    return { number, url };
  }
}

/** The API's pages as JSON: the fleet-wide rate first, then fetchJsonPage with the key, held to the API's origin, scrubbed from every message. */
class ApiPages {
  constructor(
    private readonly http: HttpClient,
    private readonly limiter: RateLimiter,
    private readonly perSecond: number,
    private readonly key: string | undefined,
    private readonly auth: ImportSettings['auth'],
    private readonly scrub: (text: string) => string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async get(pageUrl: URL): Promise<unknown> {
    const headers: Record<string, string> = {};
    let secretQuery: Record<string, string> | undefined;
    if (this.key) {
      // without import.auth a key goes in X-Api-Key, the commonest header for it
      const auth = this.auth ?? { header: 'X-Api-Key' };
      if (auth.query_param) secretQuery = { [auth.query_param]: this.key };
      if (auth.header || !auth.query_param) {
        headers[auth.header ?? 'Authorization'] = auth.scheme ? `${auth.scheme} ${this.key}` : this.key;
      }
    }
    await this.limiter.waitForGrant(`api:${pageUrl.origin}`, this.perSecond, this.signal);
    const page = await fetchJsonPage(this.http, pageUrl, {
      accept: 'application/json', api: 'a page', notHtml: { expected: 'JSON', check: 'check import.base_url and the API key' },
      headers, ...(secretQuery ? { secretQuery } : {}), sameOrigin: Boolean(this.key), scrub: this.scrub, refusal: 'as-is',
      ...(this.signal ? { signal: this.signal } : {}),
    });
    return page.body;
  }
}

/** Takes the key out of a text, wherever it went (a query parameter of any name, an echo in a page). */
function scrubberOf(key: string | undefined): (text: string) => string {
  if (!key) return (text) => text;
  const forms = [...new Set([key, encodeURIComponent(key), new URLSearchParams({ k: key }).toString().slice(2)])];
  return (text) => forms.reduce((clean, form) => clean.split(form).join('REDACTED'), text);
}
