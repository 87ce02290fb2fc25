// `npm run bench [-- --rows 10k,100k --concurrency 2]`: CSV runs of generated listings through the
// real HTTP API and BullMQ workers (in this process), timed from upload to awaiting_review, beside
// two baselines on the same file and this process's peak memory; the other sources' import rate at the
// largest size (sources.ts); then worker processes (fleet.ts),
// issue 9's geocoding and matching figures (geocode-match.ts) and issue 11's image worker (images.ts).
// `-- --only images` runs the images section alone. Exits 1 when a run fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bestOf, copyOnly, parseOnly, type BaselineTiming } from './baselines';
import { startBenchEnvironment, type BenchEnvironment } from './environment';
import { benchFleet, type FleetResult } from './fleet';
import { benchGeocodeMatch, geocodeMatchReport, type GeocodeMatchResult } from './geocode-match';
import { benchImages, imageListings, imagesReport, type ImagesResult } from './images';
import { listingColumns, writeListingsCsv } from './listings-csv';
import { measurePeakMemory, type MemoryPeak } from './memory';
import { parseBenchOptions, type BenchOptions } from './options';
import { createBenchSource, pollMs, timeCsvRun, type RunTiming } from './pipeline-run';
import { count, megabytes, ratio, seconds, table } from './report';
import { benchWordPress, benchXlsx, sourcesReport, type SourceFigure } from './sources';
import { benchSteps, stepsReport, writeStepsFigures, type StepsResult } from './steps';
import { chromiumAvailable, timeReviewInBrowser, type BrowserReviewTiming } from './review-browser';
import { timeReviewPaging, type ReviewTiming } from './review-paging';

interface SizeResult {
  rows: number;
  bytes: number;
  parse: BaselineTiming;
  copy: BaselineTiming;
  run: RunTiming;
  memory: MemoryPeak;
  review: { baselineMs: number; timings: ReviewTiming[] };
  browser: BrowserReviewTiming | null;
}

const baselineTries = 3;
const say = (line: string) => process.stderr.write(`${line}\n`);

/** Generous: a slow shared machine should report slow figures, not a timeout. */
const runTimeoutMs = (rows: number) => 120_000 + rows * 5;

function assertRowCount(what: string, got: number, rows: number): void {
  if (got !== rows) throw new Error(`${what} counted ${count(got)} rows, expected ${count(rows)}`);
}

/** Every generated listing is new and valid: anything else means the pipeline lost or rejected rows. */
function assertStagedAll(run: RunTiming, rows: number): void {
  const { records_total, records_new, records_error } = run.results;
  if (records_total !== rows || records_new !== rows || records_error !== 0) {
    throw new Error(`run ${run.runId} staged ${JSON.stringify(run.results)}; expected ${count(rows)} new rows and no errors`);
  }
}

async function benchSize(env: BenchEnvironment, rows: number): Promise<SizeResult> {
  const file = path.join(env.csvDir, `listings-${rows}.csv`);
  const started = performance.now();
  const bytes = await writeListingsCsv(file, rows);
  say(`${count(rows)} rows: generated ${megabytes(bytes)} MB in ${seconds(performance.now() - started)} s`);

  const parse = await bestOf(baselineTries, () => parseOnly(file));
  assertRowCount('csv-parse', parse.rows, rows);
  const copy = await bestOf(baselineTries, () => copyOnly(env.settings.DATABASE_URL, file, listingColumns));
  assertRowCount('COPY', copy.rows, rows);
  say(`${count(rows)} rows: csv-parse ${seconds(parse.ms)} s, COPY ${seconds(copy.ms)} s; running the pipeline…`);

  const configId = await createBenchSource(env.api, `Bench ${rows} listings`);
  const { value: run, memory } = await measurePeakMemory(() => timeCsvRun(env.api, env.ctx, configId, file, runTimeoutMs(rows)));
  assertStagedAll(run, rows);
  say(`${count(rows)} rows: awaiting_review after ${seconds(run.wallMs)} s (run ${run.runId}); timing the review page's requests…`);
  const review = await timeReviewPaging(env.api, run.runId, rows);
  const browser = chromiumAvailable() ? await timeReviewInBrowser(env.baseUrl, env.login, run.runId, rows) : null;
  fs.rmSync(file);
  return { rows, bytes, parse, copy, run, memory, review, browser };
}

async function describeMachine(env: BenchEnvironment, options: BenchOptions): Promise<string> {
  const cpus = os.cpus();
  const postgres = (await env.ctx.db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
  const redis = /redis_version:(\S+)/.exec(await env.ctx.redis.info('server'))?.[1] ?? '?';
  return [
    `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${megabytes(os.totalmem()).split('.')[0]} MB; node ${process.version}, PostgreSQL ${postgres}, Redis ${redis}`,
    `Product: HTTP server and BullMQ workers for all six queues in this one process (concurrency ${options.concurrency} per queue),`,
    `         database ${env.databaseName}, queue prefix ${env.settings.QUEUE_PREFIX}, temp storage — all removed at the end`,
  ].join('\n');
}

function fleetReport(fleet: FleetResult): string {
  const rowsPerSecond = (run: { wallMs: number }, rows: number) => count(Math.round(rows / (run.wallMs / 1000)));
  const one = fleet.throughput[0]!.run;
  return [
    table(`Fleet: worker processes as ops run them (src/worker.ts, concurrency ${fleet.concurrency} each; import, stage, promote in one more process)`,
      ['transform worker processes', 'rows', 'wall s', 'rows/s', 'transform s', 'transform ÷ 1 process'],
      fleet.throughput.map(({ transformWorkers, run }) => [transformWorkers, count(fleet.rows), seconds(run.wallMs),
        rowsPerSecond(run, fleet.rows), seconds(run.steps.transform), ratio(run.steps.transform / one.steps.transform)])),
    table(`Fair sharing: a ${fleet.smallRows}-row DMO's run queued while a ${count(fleet.rows)}-row DMO's run transforms (1 transform process)`,
      ['run', 'rows', 'upload → awaiting_review s', '÷ small run alone'],
      [
        ['small DMO alone', fleet.smallRows, seconds(fleet.smallAlone.wallMs), ratio(1)],
        ['small DMO behind the large one', fleet.smallRows, seconds(fleet.smallBehind.wallMs), ratio(fleet.smallBehind.wallMs / fleet.smallAlone.wallMs)],
        ['large DMO (queued first)', count(fleet.rows), seconds(fleet.large.wallMs), ratio(fleet.large.wallMs / fleet.smallAlone.wallMs)],
      ]),
    `  the large run had transformed ${count(fleet.largeDoneWhenSmallStaged)} of ${count(fleet.rows)} records when the small one was staged`,
    table('Longest event-loop stall in the worker processes during the fleet runs (nodejs_eventloop_lag_max_seconds, scraped every 250 ms)',
      ['process', 'longest stall ms', 'limit ms'],
      [['transform workers', fleet.stallMs.transform.toFixed(0), 1000], ['import + stage + promote', fleet.stallMs.steps.toFixed(0), 1000]]),
  ].join('\n\n');
}

function report(results: SizeResult[], options: BenchOptions, fleet: FleetResult | null, geocodeMatch: GeocodeMatchResult | null,
  sources: SourceFigure[], images: ImagesResult | null, steps: StepsResult[]): string {
  if (options.only === 'images') return images ? imagesReport(images) : 'Images: no figures (the section failed)';
  if (options.only === 'steps') return steps.length ? stepsReport(steps) : 'Steps: no figures (the section failed)';
  const stepSum = (r: SizeResult) => Object.values(r.run.steps).reduce((sum, ms) => sum + ms, 0);
  const sections = [
    table('Pipeline: upload start → awaiting_review, through the HTTP API', [
      'rows', 'file MB', 'wall s', 'rows/s', 'upload s', 'import s', 'transform s', 'stage s', 'other s', 'raw files',
    ], results.map((r) => [
      count(r.rows), megabytes(r.bytes), seconds(r.run.wallMs), count(Math.round(r.rows / (r.run.wallMs / 1000))),
      seconds(r.run.steps.upload), seconds(r.run.steps.import), seconds(r.run.steps.transform), seconds(r.run.steps.stage),
      seconds(r.run.wallMs - stepSum(r)), r.run.rawFiles,
    ])),
    '  steps from BullMQ job timestamps (transform: first start to last finish of its parallel jobs, concurrency ' +
      `${options.concurrency});\n  other = queue hand-offs, the continue call and the ${pollMs} ms status polling`,
    table(`Baselines on the same file, best of ${baselineTries}`, ['rows', 'csv-parse s', 'pipeline ÷ csv-parse', 'COPY to temp table s', 'pipeline ÷ COPY'],
      results.map((r) => [count(r.rows), seconds(r.parse.ms), ratio(r.run.wallMs / r.parse.ms), seconds(r.copy.ms), ratio(r.run.wallMs / r.copy.ms)])),
    table('Memory of this process during the run (server + workers + upload client), sampled every 25 ms',
      ['rows', 'RSS at start MB', 'peak RSS MB', 'RSS growth MB', 'peak heap MB'],
      results.map((r) => [count(r.rows), megabytes(r.memory.startRss), megabytes(r.memory.peakRss),
        megabytes(r.memory.peakRss - r.memory.startRss), megabytes(r.memory.peakHeap)])),
    table('Review page requests on the staged run (pageSize 50, median of 5), against GET /jobs/:id in the same run',
      ['rows', 'request', 'ms', 'rows returned', '÷ GET /jobs/:id'],
      results.flatMap((r) => r.review.timings.map((t) => [count(r.rows), t.label, t.ms.toFixed(1), t.rowsReturned,
        ratio(t.ms / r.review.baselineMs)]))),
    results.some((r) => r.browser)
      ? table('The review page in Chromium (admin UI, production build), against opening My account in the same run',
        ['rows', 'account page ms', 'open review ms', 'next page ms', 'last page ms', 'open ÷ account', 'largest pageSize asked'],
        results.filter((r) => r.browser).map((r) => {
          const b = r.browser!;
          return [count(r.rows), b.baselineMs.toFixed(0), b.openMs.toFixed(0), b.nextPageMs.toFixed(0), b.lastPageMs.toFixed(0),
            ratio(b.openMs / b.baselineMs), b.largestPageSize];
        }))
      : 'The review page in a browser: skipped, no Chromium (apt-get install chromium, or set CHROMIUM_PATH)',
  ];
  const smallest = results[0];
  const largest = results[results.length - 1];
  if (smallest && largest && largest !== smallest) {
    sections.push(
      `Peak RSS at ${count(largest.rows)} ÷ at ${count(smallest.rows)} rows: ${ratio(largest.memory.peakRss / smallest.memory.peakRss)} ` +
        `(peak heap ${ratio(largest.memory.peakHeap / smallest.memory.peakHeap)}) for ${ratio(largest.rows / smallest.rows)} the rows; ` +
        'near 1× means the run streams rather than holds the file.\n' +
        'V8 lets the heap grow to a working size before collecting hard, so a small run can peak lower than steady state:\n' +
        'add a larger size (--rows 10k,100k,300k) to see whether the peak keeps growing or levels off.',
    );
  }
  if (largest && sources.length) {
    sections.push(sourcesReport({ source: 'CSV upload', rows: largest.rows, bytes: largest.bytes, run: largest.run, memory: largest.memory }, sources));
  }
  if (steps.length) sections.push(stepsReport(steps));
  if (fleet) sections.push(fleetReport(fleet));
  if (geocodeMatch) sections.push(geocodeMatchReport(geocodeMatch));
  if (images) sections.push(imagesReport(images));
  return sections.join('\n\n');
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  say(options.only ? `Starting the product on a throwaway database for the ${options.only} section alone…`
    : `Starting the product on a throwaway database for ${options.sizes.map(count).join(', ')} rows…`);
  const env = await startBenchEnvironment(options);
  process.once('SIGINT', () => void env.close().finally(() => process.exit(130)));

  const results: SizeResult[] = [];
  let fleet: FleetResult | null = null;
  let geocodeMatch: GeocodeMatchResult | null = null;
  const sources: SourceFigure[] = [];
  let images: ImagesResult | null = null;
  const steps: StepsResult[] = [];
  let failure: string | null = null;
  let machine = '';
  try {
    machine = await describeMachine(env, options);
    // --only images: the pipeline section and those built on its runs are skipped
    for (const rows of options.only ? [] : options.sizes) {
      try {
        results.push(await benchSize(env, rows));
      } catch (error) {
        failure = `${count(rows)} rows: ${(error as Error).message}`;
        break; // a larger size would fail the same way, only slower
      }
    }
    for (const rows of !failure && (!options.only || options.only === 'steps') ? options.sizes : []) {
      try {
        steps.push(await benchSteps(env, rows, runTimeoutMs(rows), say));
      } catch (error) {
        failure = `steps at ${count(rows)} rows: ${(error as Error).message}`;
        break;
      }
    }
    if (!failure && !options.only) {
      // the other sources at the largest size, right after its CSV run, so the machine's state is alike
      const rows = options.sizes[options.sizes.length - 1]!;
      try {
        const xlsx = await benchXlsx(env, rows, runTimeoutMs(rows), say);
        assertStagedAll(xlsx.run, rows);
        sources.push(xlsx);
        const wordpress = await benchWordPress(env, rows, runTimeoutMs(rows), say);
        assertStagedAll(wordpress.run, rows);
        sources.push(wordpress);
      } catch (error) {
        failure = `sources at ${count(rows)} rows: ${(error as Error).message}`;
      }
    }
    if (!failure && !options.only) {
      const rows = options.sizes[options.sizes.length - 1]!;
      try {
        fleet = await benchFleet(env, rows, options.concurrency, runTimeoutMs(rows), say);
        for (const { run } of fleet.throughput) assertStagedAll(run, rows);
        assertStagedAll(fleet.large, rows);
        assertStagedAll(fleet.smallAlone, fleet.smallRows);
        assertStagedAll(fleet.smallBehind, fleet.smallRows);
      } catch (error) {
        failure = `fleet at ${count(rows)} rows: ${(error as Error).message}`;
      }
    }
    if (!failure && !options.only) {
      // the matching time's production is the largest size's run, promoted
      const largest = results[results.length - 1]!;
      geocodeMatch = await benchGeocodeMatch(env, { runId: largest.run.runId, rows: largest.rows }, runTimeoutMs(largest.rows), say);
      failure = geocodeMatch.failure;
    }
    if (!failure && options.only !== 'steps') {
      // last: its own small runs, so the sections before it see the machine as they always did
      try {
        images = await benchImages(env, options.concurrency, runTimeoutMs(imageListings), say);
      } catch (error) {
        failure = `images: ${(error as Error).message}`;
      }
    }
  } finally {
    await env.close();
  }
  if (steps.length) {
    const written = await writeStepsFigures(path.resolve(__dirname, '..', 'docs', 'bench'), steps, machine).catch((error: Error) => [`(not written: ${error.message})`]);
    say(`steps figures: ${written.join(', ')}`);
  }
  process.stdout.write(`\n${machine}\n\n${report(results, options, fleet, geocodeMatch, sources, images, steps)}\n`);
  if (failure) say(`\nBENCH FAILED at ${failure}`);
  return failure ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`bench: ${(error as Error).message}`);
    process.exit(1);
  },
);
