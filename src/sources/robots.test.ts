import { maxCrawlDelaySec, parseRobots, politeRate, robotsAnswerOf } from './robots';
import { SourceError } from './source';

const ua = 'listings-pipeline/0.5.2 (+https://github.com/listings-pipeline/listings-pipeline)';
const robotsUrl = new URL('https://www.example.org/robots.txt');
const page = (path: string) => new URL(path, 'https://www.example.org');

describe('robots.txt answers, by Google\'s rules', () => {
  it.each([
    [200, 'parse'], [204, 'parse'],
    [404, 'allow-all'], [410, 'allow-all'], [401, 'allow-all'], [403, 'allow-all'],
    [429, 'crawl-nothing'], [500, 'crawl-nothing'], [503, 'crawl-nothing'],
  ] as const)('%i: %s', (status, answer) => expect(robotsAnswerOf(status)).toBe(answer));
});

describe('the rules for our user agent', () => {
  it('a group for every robot: its Disallow holds, the rest is allowed', () => {
    const rules = parseRobots(robotsUrl, 'User-agent: *\nDisallow: /private/\n', ua);
    expect(rules.allows(page('/private/listing-3'))).toBe(false);
    expect(rules.allows(page('/listings/3'))).toBe(true);
    expect(rules.allows(page('/privateer'))).toBe(true);
    expect(rules.crawlDelaySec).toBeNull();
  });

  it('a group naming our product token wins over *, whatever our version', () => {
    const rules = parseRobots(robotsUrl, 'User-agent: *\nDisallow: /\n\nUser-agent: listings-pipeline\nAllow: /\nDisallow: /search\nCrawl-delay: 2.5\n', ua);
    expect(rules.allows(page('/listings?page=2'))).toBe(true);
    expect(rules.allows(page('/search?q=inn'))).toBe(false);
    expect(rules.crawlDelaySec).toBe(2.5);
  });

  it('Disallow: / for us: nothing may be read', () => {
    const rules = parseRobots(robotsUrl, 'User-agent: listings-pipeline\nDisallow: /\n', ua);
    expect(rules.allows(page('/'))).toBe(false);
  });

  it('an empty or unreadable file allows everything', () => {
    expect(parseRobots(robotsUrl, '', ua).allows(page('/a'))).toBe(true);
    expect(parseRobots(robotsUrl, '<html><body>Not found</body></html>', ua).allows(page('/a'))).toBe(true);
  });

  it('a Crawl-delay of 0 or nonsense is no delay', () => {
    expect(parseRobots(robotsUrl, 'User-agent: *\nCrawl-delay: 0\n', ua).crawlDelaySec).toBeNull();
    expect(parseRobots(robotsUrl, 'User-agent: *\nCrawl-delay: soon\n', ua).crawlDelaySec).toBeNull();
  });
});

describe('a Crawl-delay longer than a crawl can wait', () => {
  it('up to a minute is honoured', () => {
    expect(maxCrawlDelaySec).toBe(60);
    expect(parseRobots(robotsUrl, 'User-agent: *\nCrawl-delay: 60\n', ua).crawlDelaySec).toBe(60);
  });

  it.each([['an hour', '3600'], ['beyond a timer (3,000,000 s)', '3000000']])('%s fails, naming it and what it asks', (_name, delay) => {
    const parse = () => parseRobots(robotsUrl, `User-agent: *\nCrawl-delay: ${delay}\n`, ua);
    expect(parse).toThrow(SourceError);
    expect(parse).toThrow(`${robotsUrl.href} asks for Crawl-delay: ${delay}, more than the ${maxCrawlDelaySec} s between requests a crawl waits`);
  });
});

describe('the rate to a host', () => {
  it.each([
    [1, null, 1],
    [20, null, 20],
    [20, 2, 0.5], // a longer delay lowers our rate
    [1, 0.5, 1], // a shorter delay never raises it
    [2, 0.5, 2],
  ])('rate %p with Crawl-delay %p: %p a second', (perSecond, delay, expected) => expect(politeRate(perSecond, delay)).toBe(expected));
});
