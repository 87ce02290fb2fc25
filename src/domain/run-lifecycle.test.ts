// DESIGN.md's lifecycle table, row by row: each event moves a run only from the statuses it names.
import { lifecycle, nextStatus, retryEvent, runStatuses, type RunEvent, type RunStatus } from './run-lifecycle';

const table: [RunEvent, RunStatus[], RunStatus][] = [
  ['file_continued', ['waiting_for_input'], 'queued'],
  ['import_started', ['queued'], 'running'],
  ['staged_for_review', ['running'], 'awaiting_review'],
  ['staged_unattended', ['running'], 'promoting'],
  ['staged_after_newer', ['running'], 'superseded'],
  ['newer_run_staged', ['waiting_for_input', 'awaiting_review'], 'superseded'],
  ['promote_requested', ['awaiting_review'], 'promoting'],
  ['promote_finished', ['promoting'], 'promoted'],
  ['step_failed', ['queued', 'running', 'promoting'], 'failed'],
  ['retried_import', ['failed'], 'queued'],
  ['retried_staging', ['failed'], 'running'],
  ['retried_promote', ['failed'], 'promoting'],
  ['cancelled', ['waiting_for_input', 'queued', 'running', 'awaiting_review'], 'cancelled'],
  ['discarded', ['awaiting_review', 'failed', 'superseded'], 'cancelled'],
];

test('the table names every event once', () => {
  expect(Object.keys(lifecycle).sort()).toEqual(table.map(([event]) => event).sort());
});

describe.each(table)('%s', (event, from, to) => {
  test.each(runStatuses.map((status) => [status]))(`from %s`, (status) => {
    expect(nextStatus(event, status)).toBe(from.includes(status) ? to : null);
  });
});

test('a promoted run never moves again, whatever is asked', () => {
  for (const event of Object.keys(lifecycle) as RunEvent[]) expect(nextStatus(event, 'promoted')).toBeNull();
});

test('a retry resumes the step that failed', () => {
  expect(retryEvent('import')).toBe('retried_import');
  expect(retryEvent('transform')).toBe('retried_staging');
  expect(retryEvent('stage')).toBe('retried_staging');
  expect(retryEvent('promote')).toBe('retried_promote');
});
