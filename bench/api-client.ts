// A small JSON client speaking to the real server over HTTP, as a script would. Every call names the
// statuses it expects and throws with the server's answer otherwise.
import fs from 'node:fs';
import path from 'node:path';

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

  /** Multipart upload read from disk as it is sent (fs.openAsBlob), so a large file is never held whole. */
  async uploadStageFile(runId: number, file: string): Promise<{ fileId: number; bytes: number }> {
    const form = new FormData();
    form.append('jobId', String(runId));
    form.append('file', await fs.openAsBlob(file, { type: 'text/csv' }), path.basename(file));
    return this.send('POST', '/api/v1/pipeline/uploadStageFile', form, [201]);
  }

  private async send<T>(method: string, route: string, body: BodyInit | undefined, expected: number[], headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.baseUrl}${route}`, { method, body, headers: { ...this.headers, ...headers } });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
