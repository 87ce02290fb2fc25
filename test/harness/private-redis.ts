// A redis-server of a test's own on a free port (a child of the test process), so that nothing else
// on the machine shares it: another suite's long script (a bench draining a queue keeps Redis BUSY
// for seconds) cannot stall this test's locks, and this test may do as it likes with its Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './private-postgres';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` in the foreground with these settings and resolves once it accepts
 * connections; on failure it is killed and the error carries what it printed.
 */
export async function spawnRedisServer(port: number, dir: string, settings: string[]): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--maxmemory-policy', 'noeviction', ...settings,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited ${code}:\n${output}`)));
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, exited };
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-private-redis-'));
  const port = await freePort();
  const { child, exited } = await spawnRedisServer(port, dir, ['--save', '', '--appendonly', 'no']).catch((error: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  // a test process that ends without its cleanup takes its redis-server with it
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
