// The ops CLI's HTTP client: JSON calls to the product's API with a bearer token, and a multipart
// upload streamed from disk through node:http (never the whole file in memory). Every answer outside
// the expected statuses becomes a Refusal carrying the server's own message.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The server answered, and not with success: `message` is its `error.message`. */
export class Refusal extends Error {
  constructor(readonly status: number, readonly code: string | null, message: string, readonly body: unknown) {
    super(message);
  }
}

/** The server could not be reached at all (refused, unknown host, connection dropped). */
export class Unreachable extends Error {}

/** Adds a line main prints after the error's own message: what the caller can do now. */
export function withHint(error: unknown, hint: string): unknown {
  if (error instanceof Error) (error as Error & { hint?: string }).hint = hint;
  return error;
}

export class PipelineApi {
  readonly baseUrl: string;
  constructor(baseUrl: string, private readonly token: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get<T = any>(route: string): Promise<T> {
    return this.send<T>('GET', route);
  }

  post<T = any>(route: string, body: unknown = {}): Promise<T> {
    return this.send<T>('POST', route, body);
  }

  private url(route: string): string {
    return `${this.baseUrl}/api/v1${route}`;
  }

  private async send<T>(method: string, route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.url(route), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    return answer<T>(response.status, text, `${method} ${route}`);
  }

  private unreachable(error: unknown): Unreachable {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return new Unreachable(`Cannot reach the pipeline at ${this.baseUrl} (${why}): is it running? Set PIPELINE_URL to its address`);
  }

  /**
   * POST /uploadStageFile: `jobId` first, then the file, read from disk as the request goes (node:http
   * waits for the server as it sends). onBytes reports the file bytes sent so far.
   */
  async uploadStageFile(runId: number, file: string, onBytes?: (sent: number) => void): Promise<{ fileId: number; bytes: number }> {
    const boundary = `pipeline-cli-${crypto.randomBytes(12).toString('hex')}`;
    const name = formFileName(path.basename(file));
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent += chunk.length;
        onBytes?.(sent);
        done(null, chunk);
      },
    });
    async function* body() {
      yield `--${boundary}\r\ncontent-disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n`;
      yield `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\n` +
        `content-type: ${contentTypeOf(file)}\r\n\r\n`;
      yield* fs.createReadStream(file).pipe(counter);
      yield `\r\n--${boundary}--\r\n`;
    }
    const url = new URL(this.url('/pipeline/uploadStageFile'));
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => request.on('response', resolve).on('error', reject));
    response.catch(() => undefined); // awaited below, also when sending fails
    // a server refusing early (401, 409, 413) may close before the body is sent: its answer says why
    const sendFailure = await pipeline(Readable.from(body()), request).then(() => null, (error: Error) => error);
    let reply: http.IncomingMessage;
    try {
      reply = await response;
    } catch (error) {
      const failure = sendFailure ?? error;
      if ((failure as NodeJS.ErrnoException).code === 'ENOENT' || (failure as NodeJS.ErrnoException).code === 'EACCES') throw failure;
      throw this.unreachable({ cause: failure });
    }
    let text = '';
    for await (const chunk of reply) text += chunk;
    return answer(reply.statusCode ?? 0, text, 'upload', [201]);
  }
}

/** The parsed JSON of a successful answer; otherwise a Refusal with the server's message. */
function answer<T>(status: number, text: string, what: string, expected?: number[]): T {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const success = expected ? expected.includes(status) : status >= 200 && status < 300;
  if (success && (parsed !== undefined || !text)) return parsed as T;
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    throw new Refusal(status, typeof error.code === 'string' ? error.code : null, error.message, parsed);
  }
  // not the API's JSON (a proxy's page, an old server): say what came back, briefly
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  throw new Refusal(status, null, `${what}: HTTP ${status}${excerpt ? ` ${excerpt}` : ''}`, text);
}

/** A file name as browsers write it into a form-data header (WHATWG: " and line breaks escaped). */
function formFileName(name: string): string {
  return name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function contentTypeOf(file: string): string {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'text/csv';
  if (extension === '.txt') return 'text/plain';
  if (extension === '.json' || extension === '.geojson') return 'application/json';
  if (extension === '.ndjson') return 'application/x-ndjson';
  if (extension === '.xlsx') return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  return 'application/octet-stream';
}
