// Issue 10's figures: the import step's throughput for sources other than CSV, beside the CSV run of
// the same size measured in the same bench: a 100k-row XLSX workbook uploaded as admins do, and a
// 100k-post site speaking the WordPress REST API (served by a child process, so serving the pages
// does not share the workers' event loop). Each with this process's peak memory during the run.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ExcelJS from 'exceljs';
import type { BenchEnvironment } from './environment';
import { listingColumns, listingMapping, listingValues } from './listings-csv';
import { measurePeakMemory, type MemoryPeak } from './memory';
import { finishTimedRun, startTimedRun, type RunTiming } from './pipeline-run';
import { count, megabytes, ratio, seconds, table } from './report';
import { spawnEntry, stopProcess } from '../test/harness/spawn';
import { benchWordPressMapping } from './wordpress-site-process';

export interface SourceFigure {
  source: string;
  rows: number;
  bytes: number | null;
  run: RunTiming;
  memory: MemoryPeak;
}

/** Writes rows 1..count as a workbook with one sheet, streamed (exceljs's streaming writer); returns its size. */
export async function writeListingsXlsx(file: string, rows: number): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet('Listings');
  sheet.addRow(listingColumns).commit();
  for (let n = 1; n <= rows; n += 1) sheet.addRow(listingValues(n)).commit();
  sheet.commit();
  await workbook.commit();
  return fs.statSync(file).size;
}

async function createSource(env: BenchEnvironment, name: string, body: Record<string, unknown>): Promise<number> {
  const dmo = await env.api.post<{ id: number }>('/api/v1/pipeline/dmos', { name, dmo_type_id: 3 }, [201]);
  return (await env.api.post<{ id: number }>('/api/v1/pipeline/configs', { dmo_id: dmo.id, ...body }, [201])).id;
}

export async function benchXlsx(env: BenchEnvironment, rows: number, timeoutMs: number, say: (line: string) => void): Promise<SourceFigure> {
  const file = path.join(env.csvDir, `listings-${rows}.xlsx`);
  const started = performance.now();
  const bytes = await writeListingsXlsx(file, rows);
  say(`XLSX ${count(rows)} rows: generated ${megabytes(bytes)} MB in ${seconds(performance.now() - started)} s; running the pipeline…`);
  const configId = await createSource(env, `Bench XLSX ${rows}`, {
    source_type: 'xlsx', config_params: { import: { source_id_column: 'ID' }, transform: { map_fields: listingMapping } },
  });
  const { value: run, memory } = await measurePeakMemory(async () =>
    finishTimedRun(env.api, env.ctx, await startTimedRun(env.api, configId, file), timeoutMs));
  fs.rmSync(file);
  return { source: 'XLSX upload', rows, bytes, run, memory };
}

/** A run of a fetching source: queued at once, timed from there to awaiting_review. */
async function timeFetchRun(env: BenchEnvironment, configId: number, timeoutMs: number): Promise<RunTiming> {
  const created = await env.api.post<{ jobId: number }>('/api/v1/pipeline/executeStage', { configId }, [200, 202]);
  return finishTimedRun(env.api, env.ctx, { runId: created.jobId, started: performance.now(), uploadMs: 0 }, timeoutMs);
}

export async function benchWordPress(env: BenchEnvironment, rows: number, timeoutMs: number, say: (line: string) => void): Promise<SourceFigure> {
  const site = spawnEntry('bench/wordpress-site-process.ts', [String(rows)], {});
  try {
    const url = (await site.waitFor(/wordpress site at (\S+)/, 60_000))[1]!;
    say(`WordPress ${count(rows)} posts: site at ${url} (its own process); running the pipeline…`);
    const configId = await createSource(env, `Bench WordPress ${rows}`, {
      source_type: 'wordpress',
      config_params: { import: { base_url: url, source_id_column: 'acf.listing_id', full_snapshot: true }, transform: { map_fields: benchWordPressMapping } },
    });
    const { value: run, memory } = await measurePeakMemory(() => timeFetchRun(env, configId, timeoutMs));
    return { source: 'WordPress REST API (100 posts a page, _embed)', rows, bytes: null, run, memory };
  } finally {
    await stopProcess(site);
  }
}

/** The import step's records per second: what this sources change. */
const importRate = (figure: { rows: number; run: RunTiming }) => figure.rows / (figure.run.steps.import / 1000);

export function sourcesReport(csv: SourceFigure, others: SourceFigure[]): string {
  const all = [csv, ...others];
  return [
    table('Sources: the import step (read the source, write raw files) and the whole run, same listings, same machine and run',
      ['source', 'rows', 'input MB', 'import s', 'import records/s', 'import ÷ CSV import', 'wall s', 'peak RSS MB', 'peak heap MB'],
      all.map((figure) => [figure.source, count(figure.rows), figure.bytes === null ? '—' : megabytes(figure.bytes),
        seconds(figure.run.steps.import), count(Math.round(importRate(figure))), ratio(figure.run.steps.import / csv.run.steps.import),
        seconds(figure.run.wallMs), megabytes(figure.memory.peakRss), megabytes(figure.memory.peakHeap)])),
    '  peak memory is this process (server + every queue\'s workers + the upload client); the WordPress site runs in a child process',
  ].join('\n');
}
