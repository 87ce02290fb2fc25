// HTML pages of a site, fetched the way a polite robot does: robots.txt read once per origin and
// obeyed (./robots.ts), every request to a host (robots.txt's and each retry's too) within its rate
// and concurrency (./host-limiter.ts), through the product's HTTP client (limits, the private-address
// guard on every redirect). Retries on 429, 5xx and dropped connections are made here, not by the
// client: its retries would go inside the first try's grant, closer together than the rate or a
// Crawl-delay asks.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadBuffer, type CheerioAPI } from 'cheerio';
import type { Logger } from '../logger';
import { HttpError, redactUrl, type HttpClient } from '../http/client';
import { backoffDelay, isTransientStatus, transientNetworkCodes } from '../http/retry-policy';
import type { HostLimiter, HostLimits } from './host-limiter';
import { allowAll, parseRobots, politeRate, robotsAnswerOf, robotsUnavailable, type RobotsRules } from './robots';
import { SourceError } from './source';

export interface HtmlPage {
  /** Where the page came from after redirects. */
  url: URL;
  /** What its relative links resolve against: its <base href>, or else its own URL. */
  base: URL;
  $: CheerioAPI;
}

/** A URL that answered something other than HTML (a PDF, an image, JSON). */
export class NotHtmlPage extends SourceError {}

/** robots.txt is not a page: Google reads at most 500 KiB of it. */
const robotsMaxBytes = 500 * 1024;

/** Tries of a request after the first, each back through the host's rate (the HTTP client's default). */
const retries = 2;
/** The wait before the first retry when the site gives no Retry-After, doubled before each next one. */
const firstRetryDelayMs = 1_000;
/** The longest Retry-After waited for (the HTTP client's default): a longer one fails the run, saying when to try again. */
const maxRetryWaitMs = 10_000;

export class HtmlPages {
  private readonly robots = new Map<string, Promise<RobotsRules>>();

  constructor(
    private readonly http: HttpClient,
    private readonly limiter: HostLimiter,
    private readonly limits: HostLimits,
    private readonly log: Logger,
    private readonly signal?: AbortSignal,
  ) {}

  /** Whether robots.txt of the URL's origin lets us fetch it (read on first use, then remembered). */
  async allowed(url: URL): Promise<boolean> {
    return (await this.rulesOf(url.origin)).allows(url);
  }

  /** The page, or null when robots.txt disallows it (then it is never requested). */
  async get(url: URL): Promise<HtmlPage | null> {
    const rules = await this.rulesOf(url.origin);
    if (!rules.allows(url)) return null;
    const response = await this.request(url, rules, () =>
      this.http.getBuffer(url, { headers: { accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5' }, retries: 0, ...this.signalOption() }));
    const contentType = String(response.headers['content-type'] ?? '');
    if (contentType && !/html|xml/i.test(contentType)) {
      throw new NotHtmlPage(`GET ${redactUrl(url)} answered ${contentType.split(';')[0]}, not an HTML page: check import.base_url and the links the selectors follow`);
    }
    const finalUrl = new URL(response.url);
    // the charset of the Content-Type, else a BOM or <meta charset>, else UTF-8 (what sites now send)
    const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
    const $ = loadBuffer(response.body, { encoding: { defaultEncoding: 'utf-8', ...(charset ? { transportLayerEncodingLabel: charset } : {}) } });
    return { url: finalUrl, base: baseOf($, finalUrl), $ };
  }

  private rulesOf(origin: string): Promise<RobotsRules> {
    let rules = this.robots.get(origin);
    if (!rules) {
      rules = this.fetchRobots(new URL('/robots.txt', origin));
      this.robots.set(origin, rules);
      rules.catch(() => {}); // awaited by every caller; this only keeps a failure from going unhandled
    }
    return rules;
  }

  private async fetchRobots(robotsUrl: URL): Promise<RobotsRules> {
    let body: string;
    try {
      body = await this.request(robotsUrl, allowAll, () =>
        this.http.getText(robotsUrl, { maxBytes: robotsMaxBytes, headers: { accept: 'text/plain, */*;q=0.5' }, retries: 0, ...this.signalOption() }));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (error.kind === 'status' && robotsAnswerOf(error.status!) === 'allow-all') {
        this.log.info({ url: redactUrl(robotsUrl), status: error.status }, 'no robots.txt: every page may be read');
        return allowAll;
      }
      if (error.kind === 'status' || error.kind === 'timeout' || error.kind === 'network') {
        throw robotsUnavailable(redactUrl(robotsUrl), error.kind === 'status' ? `answered ${error.status}` : error.message.replace(/^GET \S+ /, ''));
      }
      throw error; // a refused redirect, an oversized body: the client's message says it
    }
    const rules = parseRobots(robotsUrl, body, this.http.userAgent);
    if (rules.crawlDelaySec !== null) {
      this.log.info({ url: redactUrl(robotsUrl), crawlDelaySec: rules.crawlDelaySec, perSecond: politeRate(this.limits.perSecond, rules.crawlDelaySec) }, 'robots.txt asks for a crawl delay');
    }
    return rules;
  }

  /** One request through the host's limiter, retried (429, 5xx, a timeout, a dropped connection) after Retry-After or a backoff, each try through the limiter again. */
  private async request<T>(url: URL, rules: RobotsRules, send: () => Promise<T>): Promise<T> {
    const limits = { ...this.limits, perSecond: politeRate(this.limits.perSecond, rules.crawlDelaySec) };
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.limiter.run(url.host, limits, send, this.signal);
      } catch (error) {
        if (!(error instanceof HttpError) || !isTransient(error) || this.signal?.aborted) throw error;
        if (attempt > retries) throw triedAgain(error, `${error.message} after ${attempt} tries`, attempt);
        const wait = error.retryAfterMs ?? backoffDelay(attempt, firstRetryDelayMs);
        if (wait > maxRetryWaitMs) {
          throw triedAgain(error, `${error.message} and asked to retry after ${Math.round(wait / 1000)} s, longer than the ${maxRetryWaitMs / 1000} s a crawl waits; run it again then`, attempt, 'retry_after_too_long');
        }
        this.log.info({ url: redactUrl(url), status: error.status, attempt, waitMs: wait }, 'retrying a page');
        await sleep(wait, undefined, this.signal ? { signal: this.signal } : undefined);
      }
    }
  }

  private signalOption(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {};
  }
}

/** A failure another try may not meet: 429 and most 5xx, a timeout, a dropped connection. */
function isTransient(error: HttpError): boolean {
  if (error.kind === 'status') return isTransientStatus(error.status!);
  if (error.kind === 'timeout') return true;
  return error.kind === 'network' && error.code !== undefined && transientNetworkCodes.has(error.code);
}

function triedAgain(error: HttpError, message: string, attempts: number, kind = error.kind): HttpError {
  return new HttpError(message, {
    kind, method: error.method, url: error.url, status: error.status, retryAfterMs: error.retryAfterMs, attempts, code: error.code,
  });
}

function baseOf($: CheerioAPI, url: URL): URL {
  const href = $('base[href]').first().attr('href');
  try {
    return href ? new URL(href, url) : url;
  } catch {
    return url;
  }
}
