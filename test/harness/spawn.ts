// Runs an entry point as its own process, as a user would, and reads what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of pattern in stdout+stderr, or rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnEntry(entry: string, args: string[], env: Record<string, string>): Spawned {
  // node itself with tsx's loader, not the tsx wrapper: the child is then the process that runs the
  // entry point, so a SIGKILL really kills it (the wrapper relays SIGTERM but dies alone on SIGKILL)
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        exit.then(() => setTimeout(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before ${pattern}; output:\n${text}`));
          }
        }, 50));
        check();
      });
    },
    exited: () => exit,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null) {
        child.kill(signal);
        await exit;
      }
    },
  };
}

/** Job locks short enough that a killed worker's jobs come back within seconds (crash and fleet tests). */
export const shortLocks = { lockDurationMs: 5_000, stalledIntervalMs: 1_000 };

/**
 * A real `src/worker.ts` process on these queues, on the given database, Redis and prefix, with short
 * job locks; resolves once it says it started with them.
 */
export async function startWorkerProcess(
  settings: { DATABASE_URL: string; REDIS_URL: string; QUEUE_PREFIX: string; STORAGE_URL: string },
  queues: readonly string[],
  options: {
    concurrency?: number; logLevel?: string; /** more settings, e.g. WORKER_METRICS_PORT */ env?: Record<string, string>;
    /** told at once, so a worker that never starts is still cleaned up */ track?: (worker: Spawned) => void;
  } = {},
): Promise<Spawned> {
  const worker = spawnEntry('src/worker.ts', ['--queues', queues.join(','), '--concurrency', String(options.concurrency ?? 2)], {
    DATABASE_URL: settings.DATABASE_URL, REDIS_URL: settings.REDIS_URL, QUEUE_PREFIX: settings.QUEUE_PREFIX,
    STORAGE_URL: settings.STORAGE_URL, LOG_LEVEL: options.logLevel ?? 'info',
    WORKER_LOCK_DURATION_MS: String(shortLocks.lockDurationMs), WORKER_STALLED_INTERVAL_MS: String(shortLocks.stalledIntervalMs),
    ...options.env,
  });
  options.track?.(worker);
  // the settings took: the worker reports the short lock it runs with
  await worker.waitFor(
    new RegExp(`"lockDurationMs":${shortLocks.lockDurationMs},"stalledIntervalMs":${shortLocks.stalledIntervalMs},"msg":"worker started"`), 90_000);
  return worker;
}

/** SIGTERM, and SIGKILL when the process has not stopped within 20 s. */
export async function stopProcess(worker: Spawned): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    worker.kill('SIGTERM').then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 20_000))),
  ]);
  clearTimeout(timer);
  if (late) {
    process.stdout.write(`process ${worker.child.pid} had not stopped 20 s after SIGTERM: killed\n`);
    await worker.kill('SIGKILL');
  }
}
