// What the ops CLI prints: a run as a readable block, lists as plain aligned tables. Pure.
import type { RunResponse, RunResults } from '../contract/runs';

const dash = '-';

/** `2024-05-01 12:03:04Z` from an ISO string: readable, still UTC and unambiguous. */
export function when(iso: string | null | undefined): string {
  if (!iso) return dash;
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function progressText(run: Pick<RunResponse, 'progress'>): string {
  const { stage, done, total, percent } = run.progress;
  return total > 0 ? `${stage} ${done}/${total} (${percent}%)` : stage;
}

const resultWords: [keyof RunResults, string][] = [
  ['records_total', 'total'], ['records_new', 'new'], ['records_updated', 'updated'], ['records_deleted', 'deleted'],
  ['records_duplicates', 'duplicates'], ['records_unchanged', 'unchanged'], ['records_possible_match', 'possible matches'],
  ['records_error', 'errors'],
];

export function resultsText(results: RunResults | null): string {
  if (!results) return dash;
  return resultWords.map(([key, word]) => `${results[key]} ${word}`).join(', ');
}

/** API.md's order of promote_results */
const promoteOrder = ['inserted', 'updated', 'deleted', 'unchanged', 'skipped', 'listings_created'];

export function promoteText(results: Record<string, number> | null): string {
  if (!results) return dash;
  const known = promoteOrder.filter((key) => key in results);
  const others = Object.keys(results).filter((key) => !promoteOrder.includes(key)).sort();
  return [...known, ...others].map((key) => `${results[key]} ${key.replace(/_/g, ' ')}`).join(', ');
}

/** GET /jobs/:id as a block of `label  value` lines; errorsLogged is GET /jobs/:id/errors' total. */
export function runBlock(run: RunResponse, errorsLogged: number | null): string {
  const lines: [string, string][] = [
    ['run', String(run.id)],
    ['config', `${run.config_id} (DMO ${run.dmo_id})`],
    ['status', run.status],
    ['stage', run.stage],
    ['progress', progressText(run)],
    ['records', resultsText(run.results)],
    ['errors', errorsLogged === null ? dash : `${errorsLogged} logged${errorsLogged ? ` (GET /api/v1/pipeline/jobs/${run.id}/errors)` : ''}`],
  ];
  if (run.promote_results) lines.push(['promoted', promoteText(run.promote_results)]);
  if (run.error_summary) lines.push(['message', run.error_summary]);
  if (run.delete_guard) lines.push(['delete guard', run.delete_guard]);
  lines.push(['created', when(run.created_at)], ['started', when(run.started_at)], ['staged', when(run.staged_at)], ['finished', when(run.finished_at)]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** A plain table: a header row, then rows, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function runsTable(runs: RunResponse[]): string {
  return table(
    ['id', 'config', 'dmo', 'status', 'progress', 'records', 'new', 'updated', 'deleted', 'errors', 'created', 'finished'],
    runs.map((run) => [
      String(run.id), String(run.config_id), String(run.dmo_id), run.status, progressText(run),
      ...(['records_total', 'records_new', 'records_updated', 'records_deleted', 'records_error'] as const)
        .map((key) => (run.results ? String(run.results[key]) : dash)),
      when(run.created_at), when(run.finished_at),
    ]),
  );
}

export interface ScheduledConfig {
  id: number;
  name: string | null;
  dmo_id: number;
  source_type: string;
  schedule: string;
  active: boolean;
  next_run_at: string | null;
}

export function schedulesTable(configs: ScheduledConfig[]): string {
  return table(
    ['id', 'name', 'dmo', 'source', 'schedule', 'active', 'next_run_at'],
    configs.map((config) => [
      String(config.id), config.name || dash, String(config.dmo_id), config.source_type, config.schedule,
      config.active ? 'yes' : 'no', config.active ? when(config.next_run_at) : `${dash} (paused)`,
    ]),
  );
}

export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
