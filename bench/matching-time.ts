// Matching time against transforming (issue 9): another DMO's N records of N production listings'
// places that neither source_id nor match hash links (names written another way, doors moved
// 10–50 m), staged through the API, and the stage's matching of that run timed on its own
// (timeMatching), in a transaction rolled back after.
// The records are staged before production is promoted (a run of the generated file, listings-csv.ts),
// so the stage's own matching finds nothing and the bench pays for matching once, where it is timed.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fuzzyMatch, resetFuzzyMatches, type MatchOutcome } from '../src/db/stage-match';
import { computeActions, resetStageDecisions } from '../src/db/stage-run';
import type { BenchEnvironment } from './environment';
import { listingColumns, listingMapping, listingValues, writeCsv } from './listings-csv';
import { createCsvSource, promoteRun, timeCsvRun, type RunTiming } from './pipeline-run';
import { count } from './report';

export interface MatchingTimeResult {
  rows: number;
  promoteMs: number;
  incomingRun: RunTiming;
  /** staged rows whose match hash a production listing has: the variant file is meant to have none */
  byMatchHash: number;
  /** what matching adds to the stage (see timeMatching); when the budget ran out first: the time spent, and no outcome */
  matchingMs: number;
  /** computeActions alone on the same rows, the part of the stage matching's writes ride on */
  actionsAloneMs: number;
  outcome: MatchOutcome | null;
  budgetMs: number;
  /** what the planner had to go on: autovacuum's setting, and whether the listings were ever analyzed */
  statistics: { autovacuum: string; listingsAnalyzed: boolean };
}

/** Matching longer than this is stopped and reported as longer. */
const matchingBudgetMs = 15 * 60_000;

const metresPerDegree = 111_320;

/** Listing n as another DMO has it: its own id, the name written another way, the door 10–50 m off. */
function variantValues(n: number): string[] {
  const [, name, address, city, zip, lat, lng, ...rest] = listingValues(n);
  const words = name!.split(' ');
  const names = [
    `The ${name}`,
    [...words.slice(1), words[0]].join(' '), // "Halifax Inn 7" as "Inn 7 Halifax"
    `${name} (Nova Scotia)`,
    [words[0]!.slice(0, 2) + words[0]!.slice(3), ...words.slice(1)].join(' '), // a letter dropped
  ];
  const metres = 10 + ((n * 7) % 41);
  const bearing = (((n * 47) % 360) * Math.PI) / 180;
  const movedLat = Number(lat) + (metres * Math.cos(bearing)) / metresPerDegree;
  const movedLng = Number(lng) + (metres * Math.sin(bearing)) / (metresPerDegree * Math.cos((Number(lat) * Math.PI) / 180));
  return [`B${n}`, names[n % names.length]!, address!, city!, zip!, movedLat.toFixed(5), movedLng.toFixed(5), ...rest];
}

/**
 * The stage's matching of a staged run, timed, then undone: resetFuzzyMatches, fuzzyMatch, and
 * computeActions applying the matches in its rewrite of the rows, less computeActions alone on the
 * same rows (timed before in a transaction of its own), so what is reported is what matching adds
 * to the stage. staging.rows is vacuumed before each, as autovacuum would have done after the
 * bench's earlier runs (it is off on this machine, and a table holding every dead row of them made
 * the same statements two to three times slower). Stopped (its query cancelled, again each second
 * until it gives up, as the scoring between queries cannot be) once `budgetMs` is spent.
 */
async function timeMatching(env: BenchEnvironment, runId: number, budgetMs: number): Promise<Pick<MatchingTimeResult, 'matchingMs' | 'outcome' | 'actionsAloneMs'>> {
  const client = await env.ctx.db.connect();
  let stopper: NodeJS.Timeout | undefined;
  try {
    const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
    const rolledBack = async <T>(fn: () => Promise<T>): Promise<T> => {
      await client.query('VACUUM staging.rows');
      await client.query('BEGIN');
      try {
        // the stage clears its decisions before matching; matching looks only at rows without one
        await resetStageDecisions(client, runId);
        return await fn();
      } finally {
        await client.query('ROLLBACK');
      }
    };
    const actionsAloneMs = await rolledBack(async () => {
      const started = performance.now();
      await computeActions(client, runId);
      return performance.now() - started;
    });
    return await rolledBack(async () => {
      const started = performance.now();
      let stopped = false;
      const stop = () => {
        stopped = true;
        void env.ctx.db.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
        stopper = setTimeout(stop, 1_000);
      };
      stopper = setTimeout(stop, budgetMs);
      try {
        await resetFuzzyMatches(client, runId);
        // as the stage does: candidates searched on connections of their own beside this transaction
        const outcome = await fuzzyMatch(client, runId, { auto_match_threshold: 0.8, review_threshold: 0.5 }, { search: env.ctx.db });
        await computeActions(client, runId, { fuzzyMatches: true });
        return { matchingMs: performance.now() - started - actionsAloneMs, outcome, actionsAloneMs };
      } catch (error) {
        if (stopped) return { matchingMs: performance.now() - started, outcome: null, actionsAloneMs };
        throw error;
      }
    });
  } finally {
    clearTimeout(stopper);
    client.release();
  }
}

/**
 * `production` is a run of the generated file awaiting review, such as the pipeline section's
 * largest: promoted, it is the production the other DMO's records are matched against.
 */
export async function benchMatchingTime(env: BenchEnvironment, production: { runId: number; rows: number }, timeoutMs: number,
  say: (line: string) => void, budgetMs = matchingBudgetMs): Promise<MatchingTimeResult> {
  const { rows } = production;
  const file = path.join(env.csvDir, `variant-${rows}.csv`);
  await writeCsv(file, listingColumns, rows, variantValues);
  say(`matching time: staging ${count(rows)} records of another DMO…`);
  const source = await createCsvSource(env.api, `Bench matching time ${rows}`, { import: { source_id_column: 'ID' }, transform: { map_fields: listingMapping } });
  const incomingRun = await timeCsvRun(env.api, env.ctx, source.configId, file, timeoutMs);

  say(`matching time: promoting run ${production.runId} (${count(rows)} listings) as production…`);
  const promoteMs = await promoteRun(env.api, production.runId, timeoutMs);
  const linked = await env.ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM staging.rows r WHERE r.job_id = $1
        AND EXISTS (SELECT 1 FROM public.listings l WHERE l.match_hash = r.match_hash)`, [incomingRun.runId]);

  const { rows: [statistics] } = await env.ctx.db.query<MatchingTimeResult['statistics']>(
    `SELECT current_setting('autovacuum') AS autovacuum,
            EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'public' AND tablename = 'listings') AS "listingsAnalyzed"`);

  say(`matching time: the stage's matching of the ${count(rows)} staged records against ${count(rows)} listings (at most ${budgetMs / 60_000} min)…`);
  const { matchingMs, outcome, actionsAloneMs } = await timeMatching(env, incomingRun.runId, budgetMs);
  return { rows, promoteMs, incomingRun, byMatchHash: linked.rows[0]!.n, matchingMs, actionsAloneMs, outcome, budgetMs, statistics: statistics! };
}
