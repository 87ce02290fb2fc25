// The HTTP process: API, admin UI and Bull Board. `npm run server`.
import http from 'node:http';
import { createApp } from './api/app';
import type { PipelineContext } from './context';

export async function startServer(ctx: PipelineContext, port: number): Promise<http.Server> {
  const server = http.createServer(createApp(ctx));
  // uploads can be large and slow: no request timeout, but headers must arrive promptly
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}

export function serverUrl(server: http.Server): string {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://localhost:${port}`;
}
