// A small JSON client speaking to the real server over HTTP, as a script would. Every call names the
// statuses it expects and throws with the server's answer otherwise.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const contentTypes: Record<string, string> = {
  '.csv': 'text/csv', '.json': 'application/json', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export class BenchApi {
  constructor(readonly baseUrl: string, private readonly headers: Record<string, string> = {}) {}

  /** Signs in with a password and returns a client holding a bearer token, as `curl` users do. */
  static async signIn(baseUrl: string, email: string, password: string): Promise<BenchApi> {
    const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
    });
    if (login.status !== 200) throw new Error(`sign-in as ${email}: ${login.status} ${await login.text()}`);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const session = new BenchApi(baseUrl, { cookie });
    const { token } = await session.post<{ token: string }>('/api/v1/auth/tokens', { name: 'bench' }, [201]);
    return new BenchApi(baseUrl, { authorization: `Bearer ${token}` });
  }

  async get<T = any>(route: string): Promise<T> {
    return this.send<T>('GET', route, undefined, [200]);
  }

  async post<T = any>(route: string, body: unknown, expected: number[]): Promise<T> {
    return this.send<T>('POST', route, JSON.stringify(body), expected, { 'content-type': 'application/json' });
  }

  /**
   * Multipart upload streamed from disk through node:http, which waits for the server as it sends.
   * (fetch buffered the whole body first, FormData and streamed bodies alike: 330 MB for 1M rows.)
   */
  async uploadStageFile(runId: number, file: string): Promise<{ fileId: number; bytes: number }> {
    const boundary = `bench-${crypto.randomBytes(8).toString('hex')}`;
    async function* body() {
      yield `--${boundary}\r\ncontent-disposition: form-data; name="jobId"\r\n\r\n${runId}\r\n`;
      yield `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${path.basename(file)}"\r\n` +
        `content-type: ${contentTypes[path.extname(file)] ?? 'application/octet-stream'}\r\n\r\n`;
      yield* fs.createReadStream(file);
      yield `\r\n--${boundary}--\r\n`;
    }
    const request = http.request(`${this.baseUrl}/api/v1/pipeline/uploadStageFile`, {
      method: 'POST', headers: { ...this.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => request.on('response', resolve).on('error', reject));
    response.catch(() => undefined); // awaited below, also when sending fails
    // a server refusing early (401, 413) may close before the body is sent: its answer says why
    const sent = await pipeline(Readable.from(body()), request).then(() => null, (error: Error) => error);
    const reply = await response.catch((error: Error) => {
      throw sent ?? error;
    });
    let text = '';
    for await (const chunk of reply) text += chunk;
    if (reply.statusCode !== 201) throw new Error(`upload: ${reply.statusCode} ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }

  private async send<T>(method: string, route: string, body: BodyInit | undefined, expected: number[], headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.baseUrl}${route}`, { method, body, headers: { ...this.headers, ...headers } });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
