// What to benchmark: `npm run bench -- --rows 10k,100k --concurrency 2`, or BENCH_ROWS=10000,100000;
// `-- --only images` or `-- --only steps` (or BENCH_ONLY=…) runs that one section alone.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** listing counts, one pipeline run each, smallest first */
  sizes: number[];
  /** worker concurrency per queue, as `npm run worker -- --concurrency` */
  concurrency: number;
  /** the server the throwaway database is created on (its own database is added to the path) */
  postgresUrl: string;
  redisUrl: string;
  /** one section run alone (the others need the pipeline section's runs); null: every section */
  only: BenchSection | null;
}

/** The sections that run alone: what they measure does not depend on the pipeline section's runs. */
export const soloSections = ['images', 'steps'] as const;
export type BenchSection = (typeof soloSections)[number];

export const defaultSizes = '10000,100000';

/** "10000", "10_000", "10k" and "1m" all read as counts of rows. */
export function parseRowCount(text: string): number {
  const match = /^(\d[\d_]*)([km]?)$/i.exec(text.trim());
  const count = match ? Number(match[1]!.replace(/_/g, '')) * ({ k: 1e3, m: 1e6 }[match[2]!.toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new Error(`--rows / BENCH_ROWS: "${text}" is not a row count; expected e.g. 10000, 100k or 1m`);
  }
  return count;
}

export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: { rows: { type: 'string' }, concurrency: { type: 'string' }, only: { type: 'string' } },
    strict: true,
  });
  const sizes = (values.rows ?? env.BENCH_ROWS ?? defaultSizes).split(',').filter((part) => part.trim()).map(parseRowCount);
  if (!sizes.length) throw new Error('--rows / BENCH_ROWS: name at least one row count');
  const concurrency = Number(values.concurrency ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new Error(`--concurrency: expected a whole number from 1 to 64 (got ${values.concurrency})`);
  }
  const only = values.only ?? env.BENCH_ONLY ?? null;
  if (only !== null && !(soloSections as readonly string[]).includes(only)) {
    throw new Error(`--only / BENCH_ONLY: "${only}" is not a section that runs alone; expected one of ${soloSections.join(', ')}`);
  }
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    concurrency,
    postgresUrl: env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
    redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    only: only as BenchSection | null,
  };
}
