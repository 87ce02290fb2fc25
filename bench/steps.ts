// Every step a DMO's listings go through, in one run of the bench, through the HTTP API: the first
// import (upload → awaiting_review), promote of its inserts, an unchanged re-import of the same file,
// a re-import with 5 % changes and its promote, and the review API on the first import's staged rows.
// Beside each, in the same run on the same rows: a plain COPY of the file into a bare table (the
// database's limit) and one INSERT per row (what a naive pipeline does).
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import fs from 'node:fs';
import { bestOf, copyOnly, insertRowByRow, type BaselineTiming } from './baselines';
import type { BenchEnvironment } from './environment';
import { measurePeakMemory, type MemoryPeak } from './memory';
import { createCsvSource, promoteRun, timeCsvRun, type RunTiming } from './pipeline-run';
import { realisticColumns, realisticMapping, writeFirstExport, writeNextExport } from './realistic-listings';
import { count, megabytes, ratio, seconds, table } from './report';
import { timeReviewPaging, type ReviewTiming } from './review-paging';

export type StepName = 'first import' | 'promote inserts' | 'unchanged re-import' | 're-import, 5 % changed' | 'promote 5 % changes';

export interface StepFigure {
  step: StepName;
  /** rows of the file the step reads, or rows it promotes */
  rows: number;
  ms: number;
  /** the product's peak memory and longest event-loop stall during the step */
  memory: MemoryPeak;
  stallMs: number;
  /** an import's time by BullMQ job (upload, import, transform, stage), from the jobs' timestamps */
  split?: RunTiming['steps'];
}

export interface StepsResult {
  rows: number;
  bytes: number;
  copy: BaselineTiming;
  insert: BaselineTiming;
  steps: StepFigure[];
  review: { baselineMs: number; timings: ReviewTiming[] };
}

/** Rows per second of the step, of COPY and of INSERT: the step's share of each is what compares across machines. */
export const rate = (rows: number, ms: number) => rows / (ms / 1000);

async function measured(step: StepName, rows: number, fn: () => Promise<number | RunTiming>): Promise<StepFigure> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const { value, memory } = await measurePeakMemory(fn);
    const timing = typeof value === 'number' ? { ms: value } : { ms: value.wallMs, split: value.steps };
    return { step, rows, ...timing, memory, stallMs: delay.max / 1e6 };
  } finally {
    delay.disable();
  }
}

/** Throws unless each figure of `wanted` is the run's (its results, or its promote_results). */
function assertFigures(runId: number, got: Record<string, number>, wanted: Record<string, number>): void {
  for (const [key, value] of Object.entries(wanted)) {
    if (got[key] !== value) throw new Error(`run ${runId}: ${key} ${got[key]}, expected ${value} (${JSON.stringify(got)})`);
  }
}

const assertResults = (run: RunTiming, wanted: Record<string, number>) => assertFigures(run.runId, run.results, wanted);

export async function benchSteps(env: BenchEnvironment, rows: number, timeoutMs: number, say: (line: string) => void): Promise<StepsResult> {
  const first = path.join(env.csvDir, `export-${rows}.csv`);
  const next = path.join(env.csvDir, `export-${rows}-next.csv`);
  const bytes = await writeFirstExport(first, rows);
  const changes = await writeNextExport(next, rows);
  const copy = await bestOf(rows >= 1_000_000 ? 1 : 3, () => copyOnly(env.settings.DATABASE_URL, first, realisticColumns));
  const insert = await insertRowByRow(env.settings.DATABASE_URL, first, realisticColumns);
  say(`steps, ${count(rows)} rows (${megabytes(bytes)} MB): COPY ${seconds(copy.ms)} s, row-by-row INSERT ${count(Math.round(rate(insert.rows, insert.ms)))} rows/s`);

  // The image worker stays paused: its downloads are the images section's; here the images cost
  // what staging them costs, and their jobs are dropped at the end.
  const imageWorkers = env.workers.filter((worker) => worker.name.endsWith('image'));
  await Promise.all(imageWorkers.map((worker) => worker.pause()));
  try {
    const { configId } = await createCsvSource(env.api, `Steps ${rows} listings`, {
      import: { source_id_column: 'ID' }, transform: { map_fields: realisticMapping },
    });
    const steps: StepFigure[] = [];
    const runs: RunTiming[] = [];
    const imported = (file: string) => async () => {
      const run = await timeCsvRun(env.api, env.ctx, configId, file, timeoutMs);
      runs.push(run);
      return run;
    };
    steps.push(await measured('first import', rows, imported(first)));
    const firstRun = runs[0];
    assertResults(firstRun!, { records_total: rows, records_new: rows, records_error: 0 });
    say(`steps: first import ${seconds(steps[0]!.ms)} s; timing the review API…`);
    const review = await timeReviewPaging(env.api, firstRun!.runId, rows);

    steps.push(await measured('promote inserts', rows, () => promoteRun(env.api, firstRun!.runId, timeoutMs)));
    say(`steps: promote of ${count(rows)} inserts ${seconds(steps[1]!.ms)} s`);

    steps.push(await measured('unchanged re-import', rows, imported(first)));
    const unchanged = runs[1];
    assertResults(unchanged!, { records_total: rows, records_unchanged: rows });
    await env.api.post(`/api/v1/pipeline/jobs/${unchanged!.runId}/discard`, {}, [200]);
    say(`steps: unchanged re-import ${seconds(steps[2]!.ms)} s`);

    const nextRows = rows - changes.deleted + changes.inserted;
    steps.push(await measured('re-import, 5 % changed', nextRows, imported(next)));
    const changed = runs[2];
    assertResults(changed!, { records_new: changes.inserted, records_updated: changes.updated, records_deleted: changes.deleted });
    // every approved row is promoted: the unchanged ones too (seen now, their hashes kept)
    const approved = nextRows + changes.deleted;
    steps.push(await measured('promote 5 % changes', approved, async () => {
      // deletions are never proposed on their own: the reviewer approves them explicitly
      const started = performance.now();
      await env.api.post('/api/v1/pipeline/staging/review', { jobId: changed!.runId, filter: { action: 'delete' }, decision: 'approve' }, [200]);
      return performance.now() - started + (await promoteRun(env.api, changed!.runId, timeoutMs));
    }));
    const promoted = (await env.api.get(`/api/v1/pipeline/jobs/${changed!.runId}`)).promote_results;
    assertFigures(changed!.runId, promoted, {
      inserted: changes.inserted, updated: changes.updated, deleted: changes.deleted, unchanged: rows - changes.updated - changes.deleted,
    });
    say(`steps: re-import with 5 % changes ${seconds(steps[3]!.ms)} s, its promote ${seconds(steps[4]!.ms)} s`);
    return { rows, bytes, copy, insert, steps, review };
  } finally {
    await env.ctx.queues.image.drain(true);
    for (const worker of imageWorkers) worker.resume();
    fs.rmSync(first, { force: true });
    fs.rmSync(next, { force: true });
  }
}

export function stepsReport(results: StepsResult[]): string {
  return [
    table('Every step through the HTTP API, beside a plain COPY of the same file into a bare table and one INSERT per row (same run)',
      ['rows', 'step', 'rows in step', 'wall s', 'rows/s', '÷ COPY rate', '× INSERT rate', 'peak RSS MB', 'peak heap MB', 'longest stall ms'],
      results.flatMap((r) => r.steps.map((s) => [count(r.rows), s.step, count(s.rows), seconds(s.ms), count(Math.round(rate(s.rows, s.ms))),
        `${((100 * rate(s.rows, s.ms)) / rate(r.copy.rows, r.copy.ms)).toFixed(1)} %`, ratio(rate(s.rows, s.ms) / rate(r.insert.rows, r.insert.ms)),
        megabytes(s.memory.peakRss), megabytes(s.memory.peakHeap), s.stallMs.toFixed(0)]))),
    table('The imports by job (BullMQ timestamps; transform: first start to last finish of its parallel jobs)',
      ['rows', 'step', 'upload s', 'import s', 'transform s', 'stage and hand-offs s', 'stage job s'],
      results.flatMap((r) => r.steps.filter((s) => s.split).map((s) => {
        const split = s.split!;
        return [count(r.rows), s.step, seconds(split.upload), seconds(split.import), seconds(split.transform),
          seconds(s.ms - split.upload - split.import - split.transform), seconds(split.stage)];
      }))),
    '  stage job "–": still queuing the run\'s image jobs when the run was already awaiting review',
    table('Baselines on the first export', ['rows', 'file MB', 'COPY s', 'COPY rows/s', 'row-by-row INSERT rows/s', 'INSERT rows timed'],
      results.map((r) => [count(r.rows), megabytes(r.bytes), seconds(r.copy.ms), count(Math.round(rate(r.copy.rows, r.copy.ms))),
        count(Math.round(rate(r.insert.rows, r.insert.ms))), count(r.insert.rows)])),
    table('The review API on the first import\'s staged rows (pageSize 50, median of 5), against GET /jobs/:id',
      ['rows', 'request', 'ms', '÷ GET /jobs/:id'],
      results.flatMap((r) => r.review.timings.map((t) => [count(r.rows), t.label, t.ms.toFixed(1), ratio(t.ms / r.review.baselineMs)]))),
  ].join('\n\n');
}


/** The targets, as a share of COPY's rate (issue 12). */
export const stepTargets: Partial<Record<StepName, number>> = { 'first import': 10, 'unchanged re-import': 20, 'promote inserts': 5 };

const percentOfCopy = (r: StepsResult, s: StepFigure) => (100 * rate(s.rows, s.ms)) / rate(r.copy.rows, r.copy.ms);

/** Writes the figures as JSON and the chart as SVG into `dir` (docs/bench by default, which the README shows). */
export async function writeStepsFigures(dir: string, results: StepsResult[], machine: string): Promise<string[]> {
  const { stepsChartSvg } = await import('./chart.mjs');
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'steps.json');
  const svg = path.join(dir, 'steps.svg');
  const figures = results.map((r) => ({
    rows: r.rows, fileBytes: r.bytes, copy: { ms: r.copy.ms, rowsPerSec: rate(r.copy.rows, r.copy.ms) },
    rowByRowInsert: { ms: r.insert.ms, rows: r.insert.rows, rowsPerSec: rate(r.insert.rows, r.insert.ms) },
    steps: r.steps.map((s) => ({ step: s.step, rows: s.rows, ms: s.ms, rowsPerSec: rate(s.rows, s.ms), percentOfCopy: percentOfCopy(r, s),
      targetPercentOfCopy: stepTargets[s.step] ?? null, split: s.split ?? null,
      peakRssBytes: s.memory.peakRss, peakHeapBytes: s.memory.peakHeap, longestStallMs: s.stallMs })),
    review: r.review,
  }));
  fs.writeFileSync(json, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine, results: figures }, null, 2)}\n`);
  const bars = results.flatMap((r) => r.steps.map((s) => ({ step: s.step, rows: count(r.rows), percentOfCopy: percentOfCopy(r, s) })));
  const targets = Object.entries(stepTargets).map(([step, percent]) => ({ step, percentOfCopy: percent! }));
  fs.writeFileSync(svg, await stepsChartSvg(bars, targets, 'Each step through the API, as a share of a raw COPY (red: target)'));
  return [json, svg];
}
