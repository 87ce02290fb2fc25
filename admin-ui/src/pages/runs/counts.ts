// The counts of a run, in the order and words the pages show them.
import type { RunResponse, RunResults } from '@contract/runs';
import { formatDuration } from '../../components/format';

export const countColumns: { key: keyof RunResults; label: string }[] = [
  { key: 'records_new', label: 'New' },
  { key: 'records_updated', label: 'Updated' },
  { key: 'records_unchanged', label: 'Unchanged' },
  { key: 'records_deleted', label: 'Deleted' },
  { key: 'records_duplicates', label: 'Duplicates' },
  { key: 'records_possible_match', label: 'Possible matches' },
  { key: 'records_error', label: 'Errors' },
];

/** promote_results keys in words; keys the server adds later are shown as they come. */
export const promoteLabels: Record<string, string> = {
  inserted: 'Inserted', updated: 'Updated', deleted: 'Deleted', unchanged: 'Unchanged', skipped: 'Skipped',
  listings_created: 'Listings created',
};

/** How long a run's work took (to review, or to the end), or has been going so far. */
export function runDuration(run: Pick<RunResponse, 'status' | 'started_at' | 'staged_at' | 'finished_at'>): string {
  if (!run.started_at) return '–';
  // a promote is work too: a run promoting is timed to now, a promoted one to its end
  const end = run.finished_at ?? (run.status === 'promoting' ? null : run.staged_at);
  const duration = formatDuration(run.started_at, end);
  return end || duration === '–' ? duration : `${duration} so far`;
}

/** The counts of a run once it has read its records; a run that has not started has none to show. */
export const countedResults = (run: Pick<RunResponse, 'results' | 'started_at'>) => (run.started_at ? run.results : null);
