// Tests need the machine's PostgreSQL and Redis; say exactly what to do when one is down.
import net from 'node:net';

export const testDatabaseUrl = (name: string) =>
  `${process.env.TEST_DATABASE_BASE ?? 'postgres://postgres@127.0.0.1:5432'}/${name}`;
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export async function assertServicesUp(): Promise<void> {
  const pg = new URL(testDatabaseUrl('postgres'));
  const redis = new URL(testRedisUrl);
  const missing: string[] = [];
  if (!(await reachable(pg.hostname, Number(pg.port || 5432)))) missing.push(`PostgreSQL at ${pg.host}`);
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) missing.push(`Redis at ${redis.host}`);
  if (missing.length) {
    throw new Error(`Tests need ${missing.join(' and ')}: run \`bash scripts/services.sh\` to start them.`);
  }
}
