// A DMO's website scraped: the list pages from import.base_url (each listing one `list.item`), paged
// by a next link (`next.link`) or a URL pattern (`next.page_pattern`), and each listing's fields read
// by selector (`fields`) in its list item or, with `list.link`, on the detail page it links to.
// Records come page by page, each with the `url` it was read from. Politeness (robots.txt, per-host
// rate and concurrency) is ./html-pages.ts's.
//
// A selector that matches nothing fails the run, naming it and the page: a site whose layout changed
// must not read as a site with no listings, which would propose deleting every one. So does a listing
// that cannot be read whole (past import.max_pages, a list page robots.txt disallows, a linked list
// page without listings): its unread tail would read as listings gone.
import { createHash } from 'node:crypto';
import { load, type Cheerio } from 'cheerio';
import type { AnyNode } from 'domhandler';
import { HttpError, redactUrl } from '../http/client';
import { RateLimiter } from '../queues/rate-limiter';
import { HostLimiter } from './host-limiter';
import { HtmlPages, NotHtmlPage, type HtmlPage } from './html-pages';
import { linkTarget, readFields, select, type FieldRule, type ScrapedValue } from './page-fields';
import { SourceError, type ProblemSink, type SourceInput, type SourceOpener, type SourceRecord } from './source';

/** What a website config says, checked before the first request. */
interface ScrapeSettings {
  baseUrl: URL;
  item: string;
  link: string | null;
  next: { link: string } | { pattern: string; start: number } | null;
  fields: Record<string, FieldRule>;
  /** The fields the mapping reads: each must have a value on at least one record. */
  mappedFields: string[];
  maxPages: number;
  perSecond: number;
  concurrency: number;
}

/** The page each record was read from: a field of every record, so it can be mapped (a source id). */
const urlField = 'url';

export const openWebsite: SourceOpener = async (input, onProblem) => {
  const settings = scrapeSettings(input.config);
  // the page a record was read from is the DMO's page, not the business's website: never guessed as one
  return { fields: null, records: scrape(settings, input, onProblem), guessFrom: (path) => path !== urlField };
};

function scrapeSettings(config: SourceInput['config']): ScrapeSettings {
  const { base_url: base, list, next, fields, max_pages: maxPages, rate_per_sec: perSecond, concurrency } = config.import;
  if (!base) throw new SourceError('import.base_url is not set: a website source starts at that list page (such as https://www.example.org/places)');
  if (!list?.item) throw new SourceError('import.list.item is not set: the selector of each listing on a list page (such as "article.listing")');
  if (!fields || !Object.keys(fields).length) {
    throw new SourceError('import.fields is not set: a selector per source field (such as {"name": {"selector": "h1"}, "images": {"selector": "img", "attr": "src", "many": true}})');
  }
  if (urlField in fields) throw new SourceError(`import.fields.${urlField}: "${urlField}" is the page each record was read from; give this field another name`);
  if (next?.link && next.page_pattern) throw new SourceError('import.next: set link or page_pattern, not both');
  checkSelector('import.list.item', list.item);
  if (list.link) checkSelector('import.list.link', list.link);
  if (next?.link) checkSelector('import.next.link', next.link);
  for (const [name, rule] of Object.entries(fields)) checkSelector(`import.fields.${name}.selector`, rule.selector);

  const baseUrl = new URL(base);
  let pager: ScrapeSettings['next'] = null;
  if (next?.link) pager = { link: next.link };
  else if (next?.page_pattern) {
    try {
      new URL(next.page_pattern.replaceAll('{page}', '1'), baseUrl);
    } catch {
      throw new SourceError(`import.next.page_pattern "${next.page_pattern}" is not a URL, nor a path under import.base_url`);
    }
    pager = { pattern: next.page_pattern, start: next.start ?? 1 };
  }
  return {
    baseUrl, item: list.item, link: list.link ?? null, next: pager, fields,
    mappedFields: mappedFields(config, Object.keys(fields)), maxPages, perSecond, concurrency,
  };
}

const emptyPage = load('');

function checkSelector(path: string, selector: string): void {
  try {
    emptyPage(selector);
  } catch (error) {
    throw new SourceError(`${path} "${selector}" is not a CSS selector cheerio can read: ${(error as Error).message}`);
  }
}

/**
 * The scraped fields the config reads (map_fields, source_id_column), or all of them while it maps
 * none (the mapping is guessed from them). A mapped name that is no scraped field fails now, not after
 * the whole site was read.
 */
function mappedFields(config: SourceInput['config'], scraped: string[]): string[] {
  const paths = [...Object.values(config.transform.map_fields as Record<string, string>), ...(config.import.source_id_column ? [config.import.source_id_column] : [])];
  if (!paths.length) return scraped;
  const fieldOf = (path: string) => [urlField, ...scraped].find((name) => path === name || path.startsWith(`${name}.`));
  const unknown = paths.filter((path) => !fieldOf(path));
  if (unknown.length) {
    throw new SourceError(
      `the config maps ${unknown.map((path) => `"${path}"`).join(', ')}, which import.fields does not scrape: ` +
      `its fields are ${[urlField, ...scraped].map((name) => `"${name}"`).join(', ')}`,
    );
  }
  return [...new Set(paths.map((path) => fieldOf(path)!))].filter((name) => name !== urlField);
}

/** One listing of a list page: its position among all the site's listings, and where its fields are. */
interface ListedItem {
  line: number;
  page: HtmlPage;
  item: Cheerio<AnyNode>;
  detail: URL | null;
}

type ItemOutcome = { record: SourceRecord } | { problem: string; line: number };

async function* scrape(settings: ScrapeSettings, input: SourceInput, onProblem: ProblemSink): AsyncGenerator<SourceRecord> {
  // ends the requests still in flight when the run stops reading (a failure, a cancel)
  const stop = new AbortController();
  const onAbort = () => stop.abort(input.signal?.reason);
  input.signal?.addEventListener('abort', onAbort, { once: true });
  const pages = new HtmlPages(input.http, new HostLimiter(new RateLimiter(input.redis, input.queuePrefix)),
    { perSecond: settings.perSecond, concurrency: settings.concurrency }, input.log, stop.signal);
  const filled = new Set<string>();
  let firstRecordUrl: string | null = null;
  let records = 0;
  let line = 0;
  try {
    for await (const page of listPages(settings, pages, input)) {
      const items = listedItems(settings, page, line);
      line += items.length;
      // detail pages a few at a time (the host's concurrency), records still in the site's order
      const window: Promise<ItemOutcome>[] = [];
      const nextOutcome = async (): Promise<SourceRecord | null> => {
        const outcome = await window.shift()!;
        if ('problem' in outcome) {
          await onProblem({ line: outcome.line, reason: outcome.problem });
          return null;
        }
        records += 1;
        firstRecordUrl ??= String(outcome.record.fields[urlField]);
        for (const name of Object.keys(outcome.record.fields)) filled.add(name);
        return outcome.record;
      };
      for (const item of items) {
        const outcome = readItem(settings, pages, item);
        outcome.catch(() => {}); // awaited in turn; one failing while an earlier one is awaited must not go unhandled
        window.push(outcome);
        if (window.length < settings.concurrency) continue;
        const record = await nextOutcome();
        if (record) yield record;
      }
      while (window.length) {
        const record = await nextOutcome();
        if (record) yield record;
      }
    }
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
  const empty = records ? settings.mappedFields.filter((name) => !filled.has(name)) : [];
  if (empty.length) {
    const where = settings.link ? `on any of the ${records} detail pages read (the first: ${redactUrl(firstRecordUrl!)})`
      : `in any of the ${records} listings of the list pages read (the first: ${redactUrl(firstRecordUrl!)})`;
    throw new SourceError(
      empty.map((name) => `import.fields.${name}.selector "${settings.fields[name]!.selector}"`).join(', ') +
      ` matched nothing ${where}: has the site's layout changed? Nothing was imported`,
    );
  }
}

/** The listings of one list page, with the detail page each links to when the fields are read there. */
function listedItems(settings: ScrapeSettings, page: HtmlPage, before: number): ListedItem[] {
  const items = page.$(settings.item).toArray().map((element, index) => {
    const item = page.$(element);
    const detail = settings.link ? linkTarget(select(page.$, item, settings.link).first().attr('href'), page.base) : null;
    return { line: before + index + 1, page, item, detail };
  });
  if (settings.link && !items.some((item) => item.detail)) {
    throw new SourceError(
      `import.list.link "${settings.link}" matched no link in any of the ${items.length} listings of ${redactUrl(page.url)}: ` +
      "has the site's layout changed? Nothing was imported",
    );
  }
  return items;
}

async function readItem(settings: ScrapeSettings, pages: HtmlPages, listed: ListedItem): Promise<ItemOutcome> {
  const { line, page, item, detail } = listed;
  if (!settings.link) return { record: { line, fields: { [urlField]: page.url.href, ...readFields(page.$, item, settings.fields, page.base) } } };
  if (!detail) return { line, problem: `listing ${line} on ${redactUrl(page.url)} has no link matching import.list.link "${settings.link}"` };
  let detailPage: HtmlPage | null;
  try {
    detailPage = await pages.get(detail);
  } catch (error) {
    // a dead link or a PDF is the site's problem with one listing; anything else (the site down, a
    // refused redirect) fails the run, as a listing skipped would read as a listing gone
    if (error instanceof HttpError && (error.status === 404 || error.status === 410)) return { line, problem: `${error.message}: the detail page of listing ${line} is gone; skipped` };
    if (error instanceof NotHtmlPage) return { line, problem: `${error.message}; listing ${line} skipped` };
    throw error;
  }
  if (!detailPage) return { line, problem: `robots.txt disallows ${redactUrl(detail)}, the detail page of listing ${line}; it was not read` };
  const fields: Record<string, ScrapedValue> = { [urlField]: detailPage.url.href, ...readFields(detailPage.$, null, settings.fields, detailPage.base) };
  return { record: { line, fields } };
}

/**
 * What a list page that is not read says of the listing: it is incomplete, and a listing read in
 * part would propose deleting (after unseen_runs_before_delete runs, or at once with full_snapshot)
 * the listings of the pages not read.
 */
const partialListing = 'a listing read in part would propose deleting the listings not read; nothing was imported';

/**
 * The site's list pages in order, each with at least one listing, until the last. The last is the
 * one without a next link (import.next.link), or the one before a page without listings or a 404
 * (import.next.page_pattern). A listing that cannot be read whole (more pages than import.max_pages,
 * a page robots.txt disallows, a linked page without listings) fails the run.
 */
async function* listPages(settings: ScrapeSettings, pages: HtmlPages, input: SourceInput): AsyncGenerator<HtmlPage> {
  const { next, maxPages } = settings;
  const byPattern = next !== null && 'pattern' in next;
  const visited = new Set<string>();
  /** A hash of each page's listings: a site that ignores ?page= serves page 1 again and again. */
  const listings = new Map<string, string>();
  let url: URL | null = next && 'pattern' in next ? new URL(next.pattern.replaceAll('{page}', String(next.start)), settings.baseUrl) : settings.baseUrl;
  for (let number = 1; url; number += 1) {
    const pastMaxPages = () => new SourceError(
      `list page ${number} (${redactUrl(url!)}) is past import.max_pages (${maxPages}): the site has more list pages; raise import.max_pages; ${partialListing}`,
    );
    // a next link says there is a page more; a pattern's page past max_pages is read to see whether it is the empty one after the last
    if (number > maxPages && !byPattern) throw pastMaxPages();
    if (visited.has(url.href)) {
      throw new SourceError(`the next link of list page ${number - 1} (import.next.link) leads back to ${redactUrl(url)}, already read: the pages would never end; nothing was imported`);
    }
    visited.add(url.href);
    let page: HtmlPage | null;
    try {
      page = await pages.get(url);
    } catch (error) {
      // past the last page, many sites answer 404 to ?page=N rather than an empty page
      if (number > 1 && byPattern && error instanceof HttpError && (error.status === 404 || error.status === 410)) {
        input.log.info({ url: redactUrl(url), pages: number - 1 }, 'the page after the last answered 404: the last was read');
        return;
      }
      throw error;
    }
    if (!page) {
      if (number === 1) throw new SourceError(`robots.txt of ${url.host} disallows ${redactUrl(url)} (import.base_url) to us; nothing was read`);
      throw new SourceError(`robots.txt of ${url.host} disallows list page ${number} (${redactUrl(url)}) to us, so the listing cannot be read whole; ${partialListing}`);
    }
    visited.add(page.url.href);
    const items = page.$(settings.item);
    if (!items.length) {
      if (number === 1) {
        throw new SourceError(`import.list.item "${settings.item}" matched nothing on ${redactUrl(page.url)}: has the site's layout changed? Nothing was imported`);
      }
      if (next && 'link' in next) {
        throw new SourceError(
          `list page ${number} (${redactUrl(page.url)}), linked by import.next.link "${next.link}" from page ${number - 1}, has no listings ` +
          `(import.list.item "${settings.item}" matched nothing): is the site down for maintenance? Run it again once it is back; ${partialListing}`,
        );
      }
      input.log.info({ url: redactUrl(page.url), pages: number - 1 }, 'a list page without listings: the last was read');
      return;
    }
    if (number > maxPages) throw pastMaxPages();
    const signature = createHash('sha1').update(items.toArray().map((item) => page.$(item).html() ?? '').join('\u0000')).digest('hex');
    const same = listings.get(signature);
    if (same) {
      throw new SourceError(`list page ${number} (${redactUrl(page.url)}) lists the same listings as ${same}: the site ignores the page asked for, and its pages would never end; nothing was imported`);
    }
    listings.set(signature, redactUrl(page.url));
    input.log.debug({ url: redactUrl(page.url), page: number, listings: items.length }, 'list page read');
    yield page;
    url = nextPage(settings, page, number);
  }
}

function nextPage(settings: ScrapeSettings, page: HtmlPage, number: number): URL | null {
  const { next } = settings;
  if (!next) return null;
  if ('pattern' in next) return new URL(next.pattern.replaceAll('{page}', String(next.start + number)), settings.baseUrl);
  return linkTarget(page.$(next.link).first().attr('href'), page.base);
}
