// A run's life (DESIGN.md "Run lifecycle"): its statuses, the events that move it, and which
// from → to each event allows. Pure: db/runs.ts applies an event as one compare-and-set, and every
// change of pipeline.jobs.status goes through it.

export const runStatuses = [
  'waiting_for_input', 'queued', 'running', 'awaiting_review', 'promoting', 'promoted', 'failed', 'cancelled', 'superseded',
] as const;
export type RunStatus = (typeof runStatuses)[number];

/** The step a run is in (pipeline.jobs.stage): what failed when a run fails, and so what a retry resumes. */
export const runStages = ['import', 'transform', 'stage', 'review', 'promote'] as const;
export type RunStage = (typeof runStages)[number];

interface Move {
  from: readonly RunStatus[];
  to: RunStatus;
}

export const lifecycle = {
  file_continued: { from: ['waiting_for_input'], to: 'queued' },
  import_started: { from: ['queued'], to: 'running' },
  staged_for_review: { from: ['running'], to: 'awaiting_review' },
  staged_unattended: { from: ['running'], to: 'promoting' },
  staged_after_newer: { from: ['running'], to: 'superseded' },
  newer_run_staged: { from: ['waiting_for_input', 'awaiting_review'], to: 'superseded' },
  promote_requested: { from: ['awaiting_review'], to: 'promoting' },
  promote_finished: { from: ['promoting'], to: 'promoted' },
  step_failed: { from: ['queued', 'running', 'promoting'], to: 'failed' },
  retried_import: { from: ['failed'], to: 'queued' },
  retried_staging: { from: ['failed'], to: 'running' },
  retried_promote: { from: ['failed'], to: 'promoting' },
  cancelled: { from: ['waiting_for_input', 'queued', 'running', 'awaiting_review'], to: 'cancelled' },
  discarded: { from: ['awaiting_review', 'failed', 'superseded'], to: 'cancelled' },
} as const satisfies Record<string, Move>;
export type RunEvent = keyof typeof lifecycle;

/** Statuses after which a run never moves on by itself; finished_at is set on reaching them. */
export const finishedStatuses: readonly RunStatus[] = ['promoted', 'failed', 'cancelled', 'superseded'];

/** Where the event takes a run in `from`, or null when the table does not allow it. */
export function nextStatus(event: RunEvent, from: RunStatus): RunStatus | null {
  const move: Move = lifecycle[event];
  return move.from.includes(from) ? move.to : null;
}

/** A failed run resumes the step that failed: import from the start, transform and stage by adding their jobs again. */
export function retryEvent(failedStage: RunStage): RunEvent {
  if (failedStage === 'import') return 'retried_import';
  if (failedStage === 'promote') return 'retried_promote';
  return 'retried_staging';
}
