// The product's one HTTP client: every outbound request (geocoding providers, source sites and APIs,
// robots.txt, image downloads) goes through it, so each has the same limits (time, size, redirects),
// the same retries, the same refusal of private addresses (./address-guard.ts) and the same errors
// (./errors.ts). Built on got's stream so the body is counted as it arrives and cut at the limit.
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { MaxRedirectsError, RequestError, TimeoutError, type OptionsInit } from 'got';
import type { ZodType } from 'zod';
import packageJson from '../../package.json';
import type { Settings } from '../config';
import { AddressRefused, UrlRefused, createAddressGuard, type AddressGuard } from './address-guard';
import { HttpError, isSecretParam, redactUrl, type HttpErrorKind } from './errors';
import { backoffDelay, idempotentMethods, isTransientStatus, parseRetryAfter, transientNetworkCodes } from './retry-policy';

export { HttpError, redactUrl, type HttpErrorKind } from './errors';

// Sites and providers ask robots to say who they are and where to read about them (Nominatim's usage
// policy refuses anonymous clients).
const productUrl = 'https://github.com/listings-pipeline/listings-pipeline';
export const productUserAgent = `listings-pipeline/${packageJson.version} (+${productUrl})`;

/** What a client sets for all its calls and a call may change for itself. */
export interface HttpLimits {
  /** One try, from its start to the last byte of the answer (HTTP_TIMEOUT_MS). */
  timeoutMs?: number;
  /** DNS, TCP and TLS each: an address that does not answer fails fast instead of using all of timeoutMs. */
  connectTimeoutMs?: number;
  /** From the request sent to the answer's headers; unset or 0, only timeoutMs applies. */
  responseTimeoutMs?: number;
  /** The body's size as decoded (a gzip body counts inflated) (HTTP_MAX_BYTES). */
  maxBytes?: number;
  maxRedirects?: number;
  /** Tries after the first on 429, 5xx, timeouts and dropped connections; 0 turns retrying off. */
  retries?: number;
  /** The wait before the first retry, doubled before each next one (when the server gives no Retry-After). */
  retryDelayMs?: number;
  /**
   * The longest wait between tries. A server's Retry-After longer than this fails the call at once
   * with `retry_after_too_long` and its retryAfterMs, so a queue job can hand itself back rather than
   * hold a worker asleep.
   */
  maxRetryWaitMs?: number;
  /** Send the user:password@ of a URL; refused by default, as it would travel in logs and redirects. */
  allowCredentialsInUrl?: boolean;
}

export interface HttpClientOptions extends HttpLimits {
  /** Hosts as written in URLs, or IPs, that may be private or loopback: the ALLOW_PRIVATE_HOSTS setting. */
  allowPrivateHosts?: readonly string[];
  /** Appended to the User-Agent, e.g. an operator's email address (Nominatim asks for one). */
  userAgentContact?: string;
  /** Sent with every request (a provider's API key header). Headers that look secret are dropped on a redirect to another origin. */
  headers?: Record<string, string>;
}

export interface RequestOptions extends HttpLimits {
  headers?: Record<string, string | undefined>;
  /** A call that signs in (Basic, a key): a redirect to another origin is refused, as it would go on without the sign-in. */
  sameOrigin?: boolean;
  searchParams?: Record<string, string | number | boolean | undefined> | URLSearchParams;
  signal?: AbortSignal;
}

export interface SchemaOption<T> {
  /** Parses the answer; a mismatch is `invalid_json` naming the first field that differs. */
  schema: ZodType<T>;
}

export interface PostOptions extends RequestOptions {
  /** This POST may be sent twice (a search such as Google Places Text Search): retry it like a GET. */
  idempotent?: boolean;
}

export interface HttpBufferResponse {
  /** 2xx, or 304 when the call sent If-None-Match / If-Modified-Since and nothing changed. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Where the answer came from, after redirects (links in a page resolve against it). */
  url: string;
}

export interface HttpClient {
  readonly userAgent: string;
  getJson<T>(url: string | URL, options: RequestOptions & SchemaOption<T>): Promise<T>;
  getJson(url: string | URL, options?: RequestOptions): Promise<unknown>;
  postJson<T>(url: string | URL, body: unknown, options: PostOptions & SchemaOption<T>): Promise<T>;
  postJson(url: string | URL, body: unknown, options?: PostOptions): Promise<unknown>;
  /** The raw body; a 304 is an answer, not an error, for conditional downloads (images). */
  getBuffer(url: string | URL, options?: RequestOptions): Promise<HttpBufferResponse>;
  /** The body as text, decoded by the charset the server names (UTF-8 when it names none). */
  getText(url: string | URL, options?: RequestOptions): Promise<string>;
}

const defaultLimits: Required<HttpLimits> = {
  timeoutMs: 15_000,
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 0,
  maxBytes: 20 * 1024 * 1024,
  maxRedirects: 5,
  retries: 2,
  retryDelayMs: 1_000,
  maxRetryWaitMs: 10_000,
  allowCredentialsInUrl: false,
};

// Headers that carry credentials: dropped on a redirect to another origin (got drops Authorization
// and cookies itself, but cannot know a provider's own key header such as X-Goog-Api-Key).
const secretHeader = /(^|-)(key|token|secret|auth|authorization|password|signature)$/i;
// On a redirect to another origin only these of the caller's headers go on: any other may carry a
// credential under a name of the API's own choosing (`apikey`, `X-ApiKey`, `refid`).
const portableHeaders = new Set(['accept', 'accept-language', 'accept-encoding', 'user-agent', 'if-none-match', 'if-modified-since', 'content-type', 'content-length']);

/** One failed try, before it is known whether another follows. */
interface Failure {
  kind: HttpErrorKind;
  /** Says what happened, after "GET <url> ". */
  what: string;
  transient: boolean;
  status?: number;
  retryAfterMs?: number;
  code?: string;
}

interface Call {
  method: 'GET' | 'POST';
  url: string | URL;
  options: RequestOptions;
  body?: { bytes: Buffer; contentType: string };
  accept: string;
  /** The caller says this POST may be sent twice. */
  idempotent?: boolean;
  notModifiedIsAnswer: boolean;
}

export function createHttpClient(clientOptions: HttpClientOptions = {}): HttpClient {
  const guard = createAddressGuard(clientOptions.allowPrivateHosts ?? []);
  const userAgent = clientOptions.userAgentContact ? `${productUserAgent.slice(0, -1)}; ${clientOptions.userAgentContact})` : productUserAgent;
  const clientLimits = limitsOf(clientOptions);

  /** The answer, and how to fail about it afterwards (a body that is not the JSON expected). */
  async function send(call: Call): Promise<{ response: HttpBufferResponse; fail: (failure: Failure) => HttpError }> {
    const limits: Required<HttpLimits> = { ...defaultLimits, ...clientLimits, ...limitsOf(call.options) };
    const { method } = call;
    const retryable = idempotentMethods.has(method) || call.idempotent === true;
    let target: URL;
    try {
      target = withSearchParams(new URL(call.url), call.options.searchParams);
    } catch {
      throw new HttpError(`${method} ${redactUrl(String(call.url))} is not a URL`, { kind: 'invalid_url', method, url: redactUrl(String(call.url)), attempts: 0 });
    }
    const shownUrl = redactUrl(target);
    const headers = requestHeaders(clientOptions.headers, call.options.headers, call, userAgent);
    const scrub = scrubberOf(target, headers);
    const fail = (failure: Failure, attempts: number, suffix = attempts > 1 ? ` after ${attempts} tries` : '') =>
      new HttpError(scrub(`${method} ${shownUrl} ${failure.what}${suffix}`), {
        kind: failure.kind,
        method,
        url: shownUrl,
        status: failure.status,
        retryAfterMs: failure.retryAfterMs,
        attempts,
        code: failure.code,
      });

    try {
      guard.checkUrl(target, { allowCredentialsInUrl: limits.allowCredentialsInUrl });
    } catch (error) {
      throw fail(refusalFailure(error), 0);
    }

    for (let attempt = 1; ; attempt += 1) {
      if (call.options.signal?.aborted) throw fail(abortedFailure, attempt - 1);
      const outcome = await tryOnce(call, target, headers, limits, guard);
      if ('body' in outcome && isAnswer(outcome.status, call.notModifiedIsAnswer)) {
        return { response: outcome, fail: (failure) => fail(failure, attempt) };
      }
      const failure = 'body' in outcome ? statusFailure(outcome) : outcome;
      const mayRetry = failure.transient && retryable && attempt <= limits.retries && !call.options.signal?.aborted;
      if (!mayRetry) throw fail(failure, attempt);
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > limits.maxRetryWaitMs) {
        throw fail({
          ...failure,
          kind: 'retry_after_too_long',
          what: `${failure.what} and asked to retry after ${seconds(failure.retryAfterMs)}, longer than the ${seconds(limits.maxRetryWaitMs)} this client waits (maxRetryWaitMs); try again then`,
        }, attempt, '');
      }
      const wait = failure.retryAfterMs ?? Math.min(backoffDelay(attempt, limits.retryDelayMs), limits.maxRetryWaitMs);
      try {
        await sleep(wait, undefined, call.options.signal ? { signal: call.options.signal } : undefined);
      } catch {
        throw fail(abortedFailure, attempt);
      }
    }
  }

  async function json(call: Call, schema: ZodType | undefined): Promise<unknown> {
    const { response, fail } = await send(call);
    const invalid = (what: string) => fail({ kind: 'invalid_json', what, status: response.status, transient: false });
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8').decode(response.body)); // RFC 8259: UTF-8; TextDecoder drops a BOM
    } catch (error) {
      throw invalid(response.body.length === 0 ? `answered ${response.status} with an empty body, not JSON` : `answered ${response.status} with malformed JSON (${(error as Error).message})`);
    }
    if (!schema) return value;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length === 0 ? 'the top level' : issue.path.map(String).join('.');
    throw invalid(`answered JSON that is not what we expect at ${at}: ${issue.message}`);
  }

  const get = (url: string | URL, options: RequestOptions, accept: string, notModifiedIsAnswer = false): Call => ({
    method: 'GET', url, options, accept, notModifiedIsAnswer,
  });

  return {
    userAgent,
    getJson(url: string | URL, options: RequestOptions & Partial<SchemaOption<unknown>> = {}) {
      return json(get(url, options, 'application/json'), options.schema);
    },
    postJson(url: string | URL, body: unknown, options: PostOptions & Partial<SchemaOption<unknown>> = {}) {
      const call: Call = {
        method: 'POST', url, options, accept: 'application/json', idempotent: options.idempotent, notModifiedIsAnswer: false,
        body: { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json' },
      };
      return json(call, options.schema);
    },
    async getBuffer(url, options = {}) {
      return (await send(get(url, options, '*/*', true))).response;
    },
    async getText(url, options = {}) {
      const { response } = await send(get(url, options, 'text/html, text/plain;q=0.9, */*;q=0.8'));
      return decodeText(response.body, response.headers['content-type']);
    },
  } as HttpClient;
}

/** The client of the app's settings: ALLOW_PRIVATE_HOSTS, HTTP_TIMEOUT_MS, HTTP_MAX_BYTES. */
export function httpClientFromSettings(
  settings: Pick<Settings, 'ALLOW_PRIVATE_HOSTS' | 'HTTP_TIMEOUT_MS' | 'HTTP_MAX_BYTES'>,
  options: HttpClientOptions = {},
): HttpClient {
  return createHttpClient({
    ...options,
    allowPrivateHosts: options.allowPrivateHosts ?? settings.ALLOW_PRIVATE_HOSTS,
    timeoutMs: options.timeoutMs ?? settings.HTTP_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? settings.HTTP_MAX_BYTES,
  });
}

/** One request through got, redirects followed; the answer whatever its status, or why there was none. */
function tryOnce(call: Call, target: URL, headers: Record<string, string>, limits: Required<HttpLimits>, guard: AddressGuard): Promise<HttpBufferResponse | Failure> {
  let currentUrl = target;
  const callerHeaders = Object.fromEntries(Object.keys(headers).map((name) => [name.toLowerCase(), true]));
  const options: OptionsInit = {
    method: call.method,
    headers,
    throwHttpErrors: false,
    retry: { limit: 0 }, // ours, in send(): got's cannot fail on a long Retry-After with its value
    maxRedirects: limits.maxRedirects,
    timeout: {
      request: limits.timeoutMs,
      lookup: limits.connectTimeoutMs,
      connect: limits.connectTimeoutMs,
      secureConnect: limits.connectTimeoutMs,
      ...(limits.responseTimeoutMs > 0 ? { response: limits.responseTimeoutMs } : {}),
    },
    dnsLookup: guard.lookup as OptionsInit['dnsLookup'],
    enableUnixSockets: false,
    hooks: {
      beforeRedirect: [
        (next) => {
          const previousUrl = currentUrl;
          currentUrl = new URL(String(next.url));
          guard.checkUrl(currentUrl, { allowCredentialsInUrl: limits.allowCredentialsInUrl });
          if (call.options.sameOrigin && currentUrl.origin !== previousUrl.origin) {
            throw new UrlRefused(`it is on another origin than ${previousUrl.origin}, and this call signs in only there`);
          }
          if (currentUrl.origin !== previousUrl.origin) {
            for (const name of Object.keys(next.headers)) {
              if (secretHeader.test(name) || (name.toLowerCase() in callerHeaders && !portableHeaders.has(name.toLowerCase()))) delete next.headers[name];
            }
          }
        },
      ],
    },
    ...(call.body ? { body: call.body.bytes } : {}),
    ...(call.options.signal ? { signal: call.options.signal } : {}),
  };

  return new Promise((resolve) => {
    const stream = got.stream(target, options);
    const chunks: Buffer[] = [];
    let received = 0;
    let answer: Omit<HttpBufferResponse, 'body'> | undefined;
    const tooLarge = (what: string) => {
      resolve({ kind: 'too_large', what, transient: false });
      stream.destroy();
    };

    stream.on('response', (response: { statusCode: number; headers: IncomingHttpHeaders; rawHeaders: string[]; url: string }) => {
      answer = { status: response.statusCode, headers: response.headers, url: response.url };
      if (!isAnswer(response.statusCode, call.notModifiedIsAnswer)) {
        // The body of a refusal is not read: the status says it all, and it may be large.
        resolve({ ...answer, body: Buffer.alloc(0) });
        stream.destroy();
        return;
      }
      const announced = wireContentLength(response.rawHeaders);
      if (announced !== undefined && announced > limits.maxBytes) {
        tooLarge(`announced ${announced} bytes, more than the ${limits.maxBytes} allowed (maxBytes, HTTP_MAX_BYTES)`);
      }
    });
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length; // decoded bytes: got inflates before it hands chunks on
      if (received > limits.maxBytes) tooLarge(`sent more than the ${limits.maxBytes} bytes allowed (maxBytes, HTTP_MAX_BYTES)`);
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (answer) resolve({ ...answer, body: Buffer.concat(chunks) });
    });
    stream.on('error', (error) => resolve(call.options.signal?.aborted ? abortedFailure : transportFailure(error, limits, currentUrl !== target ? currentUrl : undefined)));
  });
}

function isAnswer(status: number, notModifiedIsAnswer: boolean): boolean {
  return (status >= 200 && status < 300) || (notModifiedIsAnswer && status === 304);
}

function statusFailure(response: HttpBufferResponse): Failure {
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  return {
    kind: 'status',
    what: `answered ${response.status}`,
    status: response.status,
    transient: isTransientStatus(response.status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

const abortedFailure: Failure = { kind: 'aborted', what: 'was cancelled by its caller', transient: false };

function refusalFailure(error: unknown, redirectedTo?: URL): Failure {
  if (!(error instanceof AddressRefused || error instanceof UrlRefused)) throw error;
  const what = redirectedTo ? `was redirected to ${redactUrl(redirectedTo)}, which is refused: ${error.message}` : `is refused: ${error.message}`;
  return { kind: error instanceof AddressRefused ? 'blocked_address' : 'invalid_url', what, transient: false };
}

function transportFailure(error: Error, limits: Required<HttpLimits>, redirectedTo: URL | undefined): Failure {
  const refused = causeOf(error, AddressRefused) ?? causeOf(error, UrlRefused);
  if (refused) return refusalFailure(refused, redirectedTo);
  if (error instanceof TimeoutError) {
    const phase = error.event;
    const what = phase === 'request' ? `did not finish within ${limits.timeoutMs} ms (timeoutMs, HTTP_TIMEOUT_MS)`
      : phase === 'response' ? `sent no answer within ${limits.responseTimeoutMs} ms (responseTimeoutMs)`
      : `could not connect within ${limits.connectTimeoutMs} ms (${phase}; connectTimeoutMs)`;
    return { kind: 'timeout', what, transient: true, code: 'ETIMEDOUT' };
  }
  if (error instanceof RequestError && error.code === 'ERR_UNSUPPORTED_PROTOCOL') {
    // got refuses a redirect to file:, ftp:… itself, before our beforeRedirect hook sees it
    return { kind: 'invalid_url', what: `was redirected to a URL that is not http: or https: (${error.message})`, transient: false };
  }
  if (error instanceof MaxRedirectsError) {
    return { kind: 'too_many_redirects', what: `was redirected more than ${limits.maxRedirects} times (maxRedirects)`, transient: false };
  }
  const code = error instanceof RequestError ? error.code : (error as NodeJS.ErrnoException).code;
  return {
    kind: 'network',
    what: `failed: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`,
    transient: code !== undefined && transientNetworkCodes.has(code),
    ...(code ? { code } : {}),
  };
}

function causeOf<E extends Error>(error: unknown, type: new (...args: never[]) => E): E | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof type) return current;
  }
  return undefined;
}

/** Content-Length as sent on the wire: got drops it from `headers` once it inflates a body. */
function wireContentLength(rawHeaders: string[]): number | undefined {
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() === 'content-length') {
      const length = Number(rawHeaders[index + 1]);
      return Number.isFinite(length) ? length : undefined;
    }
  }
  return undefined;
}

function withSearchParams(url: URL, searchParams: RequestOptions['searchParams']): URL {
  if (!searchParams) return url;
  const entries = searchParams instanceof URLSearchParams ? [...searchParams] : Object.entries(searchParams);
  for (const [name, value] of entries) if (value !== undefined) url.searchParams.append(name, String(value));
  return url;
}

function requestHeaders(clientHeaders: Record<string, string> | undefined, callHeaders: RequestOptions['headers'], call: Call, userAgent: string): Record<string, string> {
  const headers: Record<string, string> = { accept: call.accept };
  if (call.body) headers['content-type'] = call.body.contentType;
  for (const [name, value] of Object.entries({ ...clientHeaders, ...callHeaders })) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  // Last, so no call can send the product's requests under another name.
  headers['user-agent'] = userAgent;
  return headers;
}

/** Removes from a message the secret values this request carries (key= values, API key headers). */
function scrubberOf(url: URL, headers: Record<string, string>): (message: string) => string {
  const secrets = new Set<string>();
  for (const [name, value] of url.searchParams) if (isSecretParam(name) && value.length >= 4) secrets.add(value);
  for (const [name, value] of Object.entries(headers)) if (secretHeader.test(name) && value.length >= 4) secrets.add(value);
  if (url.password) secrets.add(url.password);
  return (message) => {
    let clean = message;
    for (const secret of secrets) clean = clean.split(secret).join('REDACTED');
    return clean;
  };
}

function decodeText(body: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body); // an unknown charset name: UTF-8 is the likeliest
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The limits an options object sets, so that an undefined one keeps the client's or the default. */
function limitsOf(options: HttpLimits): Partial<HttpLimits> {
  const keys = Object.keys(defaultLimits) as (keyof HttpLimits)[];
  return Object.fromEntries(keys.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
}
