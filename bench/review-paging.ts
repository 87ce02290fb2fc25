// What a reviewer waits for on a large run: the review page's requests (one page of staged rows, the
// tab counts, a search), timed through the HTTP API on the run the bench just staged, beside the
// cheapest request the API answers (GET /jobs/:id) as the baseline measured in the same run.
import { performance } from 'node:perf_hooks';
import type { BenchApi } from './api-client';

export interface ReviewTiming {
  label: string;
  /** median of the tries, ms */
  ms: number;
  rowsReturned: number;
}

const tries = 5;

async function median(fn: () => Promise<number>): Promise<{ ms: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < tries; i += 1) {
    const started = performance.now();
    rows = await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, rows };
}

/** The review page's requests for a run of `rows` staged rows, as the UI sends them (pageSize 50). */
export async function timeReviewPaging(api: BenchApi, runId: number, rows: number): Promise<{ baselineMs: number; timings: ReviewTiming[] }> {
  const pageSize = 50;
  const lastPage = Math.max(1, Math.ceil(rows / pageSize));
  const rowsUrl = (params: string) => `/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=${pageSize}&${params}`;
  const page = (params: string) => async () => (await api.get<{ rows: unknown[] }>(rowsUrl(params))).rows.length;
  const cases: [string, () => Promise<number>][] = [
    ['New tab, page 1', page('action=insert&page=1')],
    ['New tab, middle page', page(`action=insert&page=${Math.ceil(lastPage / 2)}`)],
    ['New tab, last page', page(`action=insert&page=${lastPage}`)],
    ['pending rows, page 1', page('review=pending&page=1')],
    ['search "Lodge 77"', page('q=Lodge%2077&page=1')],
    ['tab counts', async () => Object.keys(await api.get(`/api/v1/pipeline/staging/counts?jobId=${runId}`)).length],
  ];
  const baseline = await median(async () => (await api.get(`/api/v1/pipeline/jobs/${runId}`), 1));
  const timings: ReviewTiming[] = [];
  for (const [label, fn] of cases) {
    const { ms, rows: returned } = await median(fn);
    timings.push({ label, ms, rowsReturned: returned });
  }
  return { baselineMs: baseline.ms, timings };
}
