// A PostgreSQL of a test's own: initdb in a temporary folder, started on a free port with its socket
// in that folder, so a test may restart or crash it without touching the machine's shared server.
// initdb refuses to run as root: as root, every PostgreSQL binary runs as the `postgres` user
// (runuser), and the folder is handed to that user; as anyone else, as that user itself.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PrivatePostgres {
  port: number;
  /** the temporary folder: data/, the server log and the socket */
  dir: string;
  /** postgres://postgres@127.0.0.1:{port}/{database} */
  url(database: string): string;
  /** pg_ctl restart: `fast` ends every session first, `immediate` is a crash (recovery from WAL at start) */
  restart(mode: 'fast' | 'immediate'): Promise<{ downMs: number }>;
  /** what the server logged, for a failure's report */
  log(): string;
  /** stops the server (immediate) and removes the folder; safe to call twice */
  destroy(): void;
}

/** The PostgreSQL binaries: PG_BIN, else the newest /usr/lib/postgresql/N/bin (Debian's layout). */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
  }
  throw new Error('No PostgreSQL binaries found under /usr/lib/postgresql/N/bin: install postgresql, or set PG_BIN to the folder holding initdb and pg_ctl');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary (as the postgres user when we are root); throws with its output when it fails. */
function runPg(bin: string, tool: string, args: string[], timeoutMs = 60_000): string {
  const command = asRoot ? 'runuser' : path.join(bin, tool);
  const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
  try {
    return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, cwd: '/' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Servers started by this process, stopped at its exit even when a test never reached its cleanup. */
const live = new Set<PrivatePostgres>();
let exitHook = false;

export async function startPrivatePostgres(options: { settings?: Record<string, string> } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-private-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const port = await freePort();
  // fsync off: the machine does not crash under these tests, only the server does (immediate mode)
  const serverOptions = [
    `-p ${port}`, `-k ${dir}`, `-c listen_addresses=127.0.0.1`, '-c fsync=off', '-c max_connections=200',
    ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  let destroyed = false;
  const instance: PrivatePostgres = {
    port,
    dir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async restart(mode) {
      const started = Date.now();
      runPg(bin, 'pg_ctl', ['restart', '-D', data, '-m', mode, '-w', '-t', '60', '-l', logFile, '-o', serverOptions]);
      return { downMs: Date.now() - started };
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(instance);
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
        const command = asRoot ? 'runuser' : path.join(bin, 'pg_ctl');
        const argv = ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30'];
        spawnSync(command, asRoot ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...argv] : argv, { stdio: 'ignore', cwd: '/' });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(instance);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const server of [...live]) server.destroy();
    });
  }
  try {
    runPg(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    runPg(bin, 'pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', logFile, '-o', serverOptions]);
  } catch (error) {
    const log = instance.log();
    instance.destroy();
    throw new Error(`${(error as Error).message}${log ? `\nserver log:\n${log}` : ''}`);
  }
  return instance;
}
