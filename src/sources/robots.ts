// A site's robots.txt as the scraper honours it, by Google's rules
// (developers.google.com/search/docs/crawling-indexing/robots/robots_txt): a 2xx is parsed; a 4xx
// other than 429 means there is none, so everything may be fetched; a 429, a 5xx or no answer at
// all means the site cannot say, and then nothing is fetched. Redirects are the HTTP client's.
import robotsParser from 'robots-parser';
import { SourceError } from './source';

/** What robots.txt lets our user agent do on one origin. */
export interface RobotsRules {
  allows(url: URL): boolean;
  /** Seconds between requests that robots.txt asks of us (Crawl-delay), or null. */
  crawlDelaySec: number | null;
}

/** How an answer to GET /robots.txt is taken. */
export type RobotsAnswer = 'parse' | 'allow-all' | 'crawl-nothing';

export function robotsAnswerOf(status: number): RobotsAnswer {
  if (status >= 200 && status < 300) return 'parse';
  if (status >= 400 && status < 500 && status !== 429) return 'allow-all';
  return 'crawl-nothing';
}

export const allowAll: RobotsRules = { allows: () => true, crawlDelaySec: null };

/**
 * The longest Crawl-delay honoured. Past it a site asks for less than a crawl can do: at an hour a
 * page, 1,000 pages take 41 days (and past 2^31 ms a timer fires at once). Such a site fails the run
 * by name rather than hold a worker for weeks.
 */
export const maxCrawlDelaySec = 60;

/** The rules of a robots.txt body for `userAgent` (matched by its product token, as robots-parser does). */
export function parseRobots(robotsUrl: URL, body: string, userAgent: string): RobotsRules {
  const robots = robotsParser(robotsUrl.href, body);
  const delay = Number(robots.getCrawlDelay(userAgent));
  if (Number.isFinite(delay) && delay > maxCrawlDelaySec) {
    const hours = (delay * 1_000) / 3_600;
    throw new SourceError(
      `${robotsUrl.href} asks for Crawl-delay: ${delay}, more than the ${maxCrawlDelaySec} s between requests a crawl waits: ` +
      `the site asks for less than a crawl can do (1,000 pages would take ${hours < 48 ? `${Math.round(hours)} hours` : `${Math.round(hours / 24)} days`}), ` +
      'so nothing was read; ask the site for a shorter Crawl-delay for our user agent, or import its listings another way',
    );
  }
  return {
    // undefined: a URL of another origin, which these rules do not govern (never asked: rules are per origin)
    allows: (url) => robots.isAllowed(url.href, userAgent) !== false,
    crawlDelaySec: Number.isFinite(delay) && delay > 0 ? delay : null,
  };
}

/** The refusal to crawl a site whose robots.txt failed with a server error or gave no answer (after the client's retries). */
export function robotsUnavailable(robotsUrl: string, what: string): SourceError {
  return new SourceError(
    `GET ${robotsUrl} ${what}: a site whose robots.txt cannot be read (a server error, no answer) may not be crawled at all ` +
    "(Google's rule), so nothing was read; run it again once the site answers",
  );
}

/**
 * Requests a second to a host: ours (import.rate_per_sec), or fewer when robots.txt asks for a longer
 * Crawl-delay. A shorter delay never raises our rate.
 */
export function politeRate(perSecond: number, crawlDelaySec: number | null): number {
  return crawlDelaySec !== null ? Math.min(perSecond, 1 / crawlDelaySec) : perSecond;
}
