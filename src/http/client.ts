// The product's one HTTP client: every outbound request (geocoding providers, source sites and APIs,
// robots.txt, image downloads) goes through it, so each has the same limits (time, size, redirects),
// the same retries, the same refusal of private addresses (./address-guard.ts) and the same errors
// (./errors.ts). Built on got's stream so the body is counted as it arrives and cut at the limit.
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { MaxRedirectsError, RequestError, TimeoutError, type OptionsInit, type Request } from 'got';
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
  /**
   * One try, from its start to the last byte of the answer (HTTP_TIMEOUT_MS). For getStream, whose
   * body may take minutes, from its start to the answer's headers, then the longest pause in the body.
   */
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

export interface HttpStreamResponse {
  /** 2xx: any other status is an HttpError before the body. */
  status: number;
  headers: IncomingHttpHeaders;
  /** Where the answer came from, after redirects. */
  url: string;
  /**
   * The body as decoded (a gzip body arrives inflated). A failure once it has begun (a dropped
   * connection, a pause longer than timeoutMs, more than maxBytes) destroys it with an HttpError
   * naming the bytes that had arrived, so read it with pipeline() or for await. Destroying it stops
   * the download.
   */
  body: Readable;
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
  /**
   * The body as a stream, for files too large to hold (a GeoJSON file of hundreds of MB: pass a
   * maxBytes above HTTP_MAX_BYTES). Refusals, redirects, headers, retries and errors are the other
   * calls'; retries happen only before the body begins. Time is bounded differently: timeoutMs bounds
   * the wait for the answer's headers, and then each pause of the body (no byte for timeoutMs), not
   * the whole download. A pause the caller makes by not reading is not timed.
   */
  getStream(url: string | URL, options?: RequestOptions): Promise<HttpStreamResponse>;
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

/** The status line and headers of an answer, its body still to come. */
type Answer = Omit<HttpBufferResponse, 'body'>;

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

/** What one try needs, and how it fails (its message names the call and counts this try). */
interface Attempt {
  call: Call;
  target: URL;
  headers: Record<string, string>;
  limits: Required<HttpLimits>;
  guard: AddressGuard;
  fail: (failure: Failure) => HttpError;
}

/** One try that has its answer's headers: the answer, got's stream of its body, and how a transport error of this try reads. */
interface Exchange {
  answer: Answer;
  stream: Request;
  failureOf: (error: Error) => Failure;
}

/**
 * How timeoutMs bounds a try: its whole answer (calls that hold the body), or the answer's headers
 * and then each pause in the body (getStream, whose body may rightly take minutes).
 */
type TimeBound = 'whole answer' | 'headers, then pauses';

export function createHttpClient(clientOptions: HttpClientOptions = {}): HttpClient {
  const guard = createAddressGuard(clientOptions.allowPrivateHosts ?? []);
  const userAgent = clientOptions.userAgentContact ? `${productUserAgent.slice(0, -1)}; ${clientOptions.userAgentContact})` : productUserAgent;
  const clientLimits = limitsOf(clientOptions);

  /** The answer of the first try that has one, and how to fail about it afterwards (a body that is not the JSON expected). */
  async function send<R>(call: Call, tryOnce: (attempt: Attempt) => Promise<R | Failure>): Promise<{ response: R; fail: (failure: Failure) => HttpError }> {
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
      const failAttempt = (failure: Failure) => fail(failure, attempt);
      const outcome = await tryOnce({ call, target, headers, limits, guard, fail: failAttempt });
      if (!isFailure(outcome)) return { response: outcome, fail: failAttempt };
      const failure = outcome;
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
    const { response, fail } = await send(call, tryOnce);
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
      return (await send(get(url, options, '*/*', true), tryOnce)).response;
    },
    async getText(url, options = {}) {
      const { response } = await send(get(url, options, 'text/html, text/plain;q=0.9, */*;q=0.8'), tryOnce);
      return decodeText(response.body, response.headers['content-type']);
    },
    async getStream(url, options = {}) {
      return (await send(get(url, options, '*/*'), openStreamOnce)).response;
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

/** One request through got, redirects followed, with its whole body; or why there was none. */
function tryOnce(attempt: Attempt): Promise<HttpBufferResponse | Failure> {
  return requestOnce(attempt, 'whole answer', ({ answer, stream }, settle) => {
    const chunks: Buffer[] = [];
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length; // decoded bytes: got inflates before it hands chunks on
      const tooLarge = overLimit(received, attempt.limits);
      if (!tooLarge) chunks.push(chunk);
      else {
        settle(tooLarge);
        stream.destroy();
      }
    });
    stream.on('end', () => settle({ ...answer, body: Buffer.concat(chunks) }));
  });
}

/** One request through got, redirects followed, answered with its body still to read (getStream); or why there was none. */
function openStreamOnce(attempt: Attempt): Promise<HttpStreamResponse | Failure> {
  return requestOnce(attempt, 'headers, then pauses', (exchange, settle) => settle({ ...exchange.answer, body: bodyStream(exchange, attempt) }));
}

/**
 * One request through got, redirects followed, up to its answer's headers; `readBody` takes it from
 * there and settles the try. A status that is not an answer, or a body announced larger than
 * maxBytes, fails the try with its body unread. A transport error settles it too, unless readBody
 * has settled it first (getStream's body then says the error itself).
 */
function requestOnce<R>(
  attempt: Attempt,
  bound: TimeBound,
  readBody: (exchange: Exchange, settle: (outcome: R | Failure) => void) => void,
): Promise<R | Failure> {
  const { call, target, headers, limits, guard } = attempt;
  let currentUrl = target;
  const callerHeaders = Object.fromEntries(Object.keys(headers).map((name) => [name.toLowerCase(), true]));
  const options: OptionsInit = {
    method: call.method,
    headers,
    throwHttpErrors: false,
    retry: { limit: 0 }, // ours, in send(): got's cannot fail on a long Retry-After with its value
    maxRedirects: limits.maxRedirects,
    timeout: {
      ...(bound === 'whole answer' ? { request: limits.timeoutMs } : {}), // else: headersTimer below, then bodyStream's pauses
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
  const failureOf = (error: Error) => (call.options.signal?.aborted ? abortedFailure : transportFailure(error, limits, currentUrl !== target ? currentUrl : undefined));

  return new Promise((resolve) => {
    const stream = got.stream(target, options);
    let settled = false;
    let headersTimer: NodeJS.Timeout | undefined;
    const settle = (outcome: R | Failure) => {
      if (settled) return;
      settled = true;
      clearTimeout(headersTimer);
      resolve(outcome);
    };
    const refuse = (failure: Failure) => {
      settle(failure);
      stream.destroy();
    };
    if (bound === 'headers, then pauses') {
      headersTimer = setTimeout(() => refuse({
        kind: 'timeout', what: `sent no answer within ${limits.timeoutMs} ms (timeoutMs, HTTP_TIMEOUT_MS)`, transient: true, code: 'ETIMEDOUT',
      }), limits.timeoutMs);
    }

    stream.on('response', (response: { statusCode: number; headers: IncomingHttpHeaders; rawHeaders: string[]; url: string }) => {
      clearTimeout(headersTimer);
      const answer: Answer = { status: response.statusCode, headers: response.headers, url: response.url };
      // The body of a refusal is not read: the status says it all, and it may be large.
      const refusal = isAnswer(answer.status, call.notModifiedIsAnswer) ? announcedOverLimit(response.rawHeaders, limits) : statusFailure(answer);
      if (refusal) refuse(refusal);
      else readBody({ answer, stream, failureOf }, settle);
    });
    stream.on('error', (error) => settle(failureOf(error)));
  });
}

/**
 * getStream's body: got's stream counted against maxBytes and watched for pauses, read only as fast
 * as the caller reads. Any failure destroys it with an HttpError saying how much had arrived;
 * destroying it destroys got's stream, which aborts the request.
 */
function bodyStream({ stream: source, failureOf }: Exchange, { limits, fail }: Attempt): Readable {
  let received = 0;
  let pauseTimer: NodeJS.Timeout | undefined;
  const stop = (failure: Failure) => body.destroy(fail(failure));
  // Armed only while the caller waits for bytes: a caller that stops reading is not the server pausing.
  const awaitBytes = () => {
    clearTimeout(pauseTimer);
    pauseTimer = setTimeout(() => stop({
      kind: 'timeout',
      what: `sent nothing for ${limits.timeoutMs} ms after ${received} bytes of its body (timeoutMs, HTTP_TIMEOUT_MS)`,
      transient: true,
      code: 'ETIMEDOUT',
    }), limits.timeoutMs);
  };
  const body = new Readable({
    read() {
      awaitBytes();
      source.resume();
    },
    destroy(error, callback) {
      clearTimeout(pauseTimer);
      source.destroy();
      callback(error);
    },
  });

  source.pause(); // until the caller reads
  source.on('data', (chunk: Buffer) => {
    received += chunk.length; // decoded bytes, as tryOnce counts them
    const tooLarge = overLimit(received, limits);
    if (tooLarge) stop(tooLarge);
    else if (body.push(chunk)) awaitBytes();
    else {
      clearTimeout(pauseTimer);
      source.pause();
    }
  });
  source.on('end', () => {
    clearTimeout(pauseTimer);
    body.push(null);
  });
  source.on('error', (error) => {
    const failure = failureOf(error);
    stop({ ...failure, what: `${failure.what} after ${received} bytes of its body` });
  });
  return body;
}

function isFailure<R>(outcome: R | Failure): outcome is Failure {
  return typeof outcome === 'object' && outcome !== null && 'kind' in outcome && 'transient' in outcome;
}

function overLimit(received: number, limits: Required<HttpLimits>): Failure | undefined {
  if (received <= limits.maxBytes) return undefined;
  return { kind: 'too_large', what: `sent more than the ${limits.maxBytes} bytes allowed (maxBytes, HTTP_MAX_BYTES)`, transient: false };
}

function announcedOverLimit(rawHeaders: string[], limits: Required<HttpLimits>): Failure | undefined {
  const announced = wireContentLength(rawHeaders);
  if (announced === undefined || announced <= limits.maxBytes) return undefined;
  return { kind: 'too_large', what: `announced ${announced} bytes, more than the ${limits.maxBytes} allowed (maxBytes, HTTP_MAX_BYTES)`, transient: false };
}

function isAnswer(status: number, notModifiedIsAnswer: boolean): boolean {
  return (status >= 200 && status < 300) || (notModifiedIsAnswer && status === 304);
}

function statusFailure(response: Answer): Failure {
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
