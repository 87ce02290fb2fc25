// Builds the admin UI (admin-ui/ → admin-ui/dist) when its sources changed since the last build, so
// `npm start` on a fresh clone serves it with no extra command and a restart without changes costs
// nothing. `npm run build:ui` (add --force to build anyway).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const uiDir = path.join(root, 'admin-ui');
export const uiDistDir = path.join(uiDir, 'dist');
const stampFile = path.join(uiDistDir, '.build-stamp');
// what the bundle is made of: the UI, the contract and pure rules it imports, and the locked packages
const inputs = ['admin-ui/index.html', 'admin-ui/vite.config.mts', 'admin-ui/src', 'src/contract', 'src/domain', 'src/auth', 'package-lock.json'];

function* files(entry: string): Generator<string> {
  const full = path.join(root, entry);
  if (!fs.existsSync(full)) return;
  if (fs.statSync(full).isFile()) return yield entry;
  for (const name of fs.readdirSync(full).sort()) yield* files(path.join(entry, name));
}

function sourceStamp(): string {
  const hash = crypto.createHash('sha1').update('production');
  for (const entry of inputs) for (const file of files(entry)) hash.update(file).update(fs.readFileSync(path.join(root, file)));
  return hash.digest('hex');
}

export async function buildAdminUi(options: { force?: boolean; quiet?: boolean } = {}): Promise<'built' | 'fresh'> {
  const stamp = sourceStamp();
  const current = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8') : null;
  if (!options.force && current === stamp && fs.existsSync(path.join(uiDistDir, 'index.html'))) return 'fresh';
  if (!options.quiet) process.stdout.write('Building the admin UI (admin-ui → admin-ui/dist)…\n');
  // build beside dist and swap it in, so a server reading dist never sees a half-written build
  const scratch = `${uiDistDir}.build-${process.pid}`;
  const old = `${uiDistDir}.old-${process.pid}`;
  // always React's production build, even when called from jest (NODE_ENV=test) or a dev shell
  process.env.NODE_ENV = 'production';
  const { build } = await import('vite');
  try {
    await build({
      configFile: path.join(uiDir, 'vite.config.mts'),
      mode: 'production',
      logLevel: options.quiet ? 'error' : 'warn',
      build: { outDir: scratch, emptyOutDir: true },
    });
    fs.writeFileSync(path.join(scratch, '.build-stamp'), stamp);
    keepPreviousAssets(scratch);
    if (fs.existsSync(uiDistDir)) fs.renameSync(uiDistDir, old);
    fs.renameSync(scratch, uiDistDir);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
  return 'built';
}

const assetList = '.assets';

/**
 * A page opened before the rebuild still loads its lazy chunks by their old hashed names: the new build
 * carries the previous build's own assets (only those, so they do not pile up build after build).
 */
function keepPreviousAssets(scratch: string): void {
  const own = fs.readdirSync(path.join(scratch, 'assets'));
  fs.writeFileSync(path.join(scratch, assetList), own.join('\n'));
  const previousList = path.join(uiDistDir, assetList);
  if (!fs.existsSync(previousList)) return;
  for (const name of fs.readFileSync(previousList, 'utf8').split('\n').filter(Boolean)) {
    const from = path.join(uiDistDir, 'assets', path.basename(name));
    const to = path.join(scratch, 'assets', path.basename(name));
    if (fs.existsSync(from) && !fs.existsSync(to)) fs.copyFileSync(from, to);
  }
}

if (require.main === module) {
  buildAdminUi({ force: process.argv.includes('--force'), quiet: process.argv.includes('--quiet') }).then(
    (result) => {
      if (result === 'fresh' && !process.argv.includes('--quiet')) process.stdout.write('The admin UI is up to date.\n');
    },
    (error: unknown) => {
      process.stderr.write(`The admin UI could not be built: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
