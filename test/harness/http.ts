// A small JSON client for tests, speaking to the real server over HTTP like a script would.
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  private cookie: string | null = null;
  constructor(readonly baseUrl: string, private token: string | null = null) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const init: RequestInit = { method, headers: { ...headers }, redirect: 'manual' };
    const h = init.headers as Record<string, string>;
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (this.cookie) h.cookie = this.cookie;
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      h['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) { return this.request<T>('GET', path); }
  post<T = any>(path: string, body?: unknown) { return this.request<T>('POST', path, body ?? {}); }
  patch<T = any>(path: string, body?: unknown) { return this.request<T>('PATCH', path, body ?? {}); }
  delete<T = any>(path: string, body?: unknown) { return this.request<T>('DELETE', path, body); }

  async login(email: string, password: string): Promise<Reply> {
    const reply = await this.post('/api/v1/auth/login', { email, password });
    if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply;
  }

  /** A client signed in with a bearer token of this user. */
  static async signedIn(baseUrl: string, email: string, password: string): Promise<ApiClient> {
    const browser = new ApiClient(baseUrl);
    await browser.login(email, password);
    const { body } = await browser.post('/api/v1/auth/tokens', { name: 'test' });
    return new ApiClient(baseUrl, body.token);
  }
}
