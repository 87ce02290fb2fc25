// A small disk for the blob store, to fill up on purpose: a tmpfs of a few MiB where this machine lets
// us mount one (root, a kernel that allows it), else a folder behind a store that fails its writes
// with ENOSPC once the bytes written pass the same capacity, as a full disk would. Either way the
// product's own file store writes the files, and sees the error a full disk gives.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import type { BlobStore, PutOptions } from '../../src/storage/blob-store';

export interface SmallDisk {
  dir: string;
  kind: 'tmpfs' | 'quota';
  capacityBytes: number;
  /** bytes the store could still write */
  freeBytes(): number;
  /** a file beside the store's keys that leaves about `leaveBytes` free */
  fill(leaveBytes: number): void;
  /** removes that file */
  unfill(): void;
  /** the store to give the product: as it is on a tmpfs; on a folder, one that runs out at the capacity */
  wrap(store: BlobStore): BlobStore;
  /** unmounts (tmpfs) and removes the folder */
  destroy(): void;
}

const fillerName = 'filler.bin';

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(full) : fs.statSync(full).size;
  }
  return total;
}

function noSpace(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

export function smallDisk(capacityBytes = 2 * 1024 * 1024): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'listings-small-disk-'));
  let kind: SmallDisk['kind'] = 'quota';
  // SMALL_DISK=quota tries the stand-in on a machine that could mount
  if (process.env.SMALL_DISK !== 'quota') {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${capacityBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
      kind = 'tmpfs';
    } catch {
      /* not allowed here: the quota store stands in */
    }
  }
  const filler = path.join(dir, fillerName);
  const freeBytes = () => {
    if (kind === 'tmpfs') {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    }
    return Math.max(0, capacityBytes - bytesUnder(dir));
  };
  return {
    dir,
    kind,
    capacityBytes,
    freeBytes,
    fill(leaveBytes) {
      const size = Math.max(0, freeBytes() + (fs.existsSync(filler) ? fs.statSync(filler).size : 0) - leaveBytes);
      fs.writeFileSync(filler, Buffer.alloc(size));
    },
    unfill() {
      fs.rmSync(filler, { force: true });
    },
    wrap(store) {
      if (kind === 'tmpfs') return store;
      return {
        url: store.url,
        get: (key) => store.get(key),
        stat: (key) => store.stat(key),
        delete: (key) => store.delete(key),
        put(key: string, body: Readable, options?: PutOptions) {
          // what is on the disk when the write starts, plus what this write has passed
          const room = freeBytes();
          let written = 0;
          const limited = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              written += chunk.length;
              done(written > room ? noSpace() : null, written > room ? undefined : chunk);
            },
          });
          // as the file store's own pipeline does: a failed write ends the stream that feeds it
          pipeline(body, limited, () => undefined);
          return store.put(key, limited, options);
        },
      };
    },
    destroy() {
      if (kind === 'tmpfs') {
        try {
          execFileSync('umount', [dir], { stdio: 'pipe' });
        } catch {
          execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under a folder, relative to it, with its size: what a store really holds. */
export function filesUnder(dir: string, prefix = ''): { key: string; bytes: number }[] {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const key = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(dir, key) : [{ key, bytes: fs.statSync(path.join(dir, key)).size }];
  });
}
