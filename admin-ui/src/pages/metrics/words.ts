// The Metrics page's names, units and colours: what each status, step, queue and state is called on
// screen, and how its numbers read.
import type { MantineColor } from '@mantine/core';
import type { QueueName, QueueState, RunStatus } from '@contract/metrics';
import { formatCount } from '../../components/format';

/**
 * A run status's colour in the charts: the hues of the status badges (components/StatusBadge), with
 * the shades apart where two badges share a hue (queued and superseded are both gray there), so
 * neighbouring bars stay distinguishable.
 */
export const statusColours: Record<RunStatus, MantineColor> = {
  waiting_for_input: 'yellow.5', queued: 'gray.4', running: 'blue.6', awaiting_review: 'orange.6', promoting: 'grape.6',
  promoted: 'green.7', failed: 'red.7', cancelled: 'dark.4', superseded: 'gray.6',
};

export const queueLabels: Record<QueueName, string> = {
  import: 'Import', transform: 'Transform', geocode: 'Geocode', stage: 'Stage', image: 'Images', promote: 'Promote',
};

/** BullMQ's job states in a content admin's words. */
export const queueStateLabels: Record<QueueState, string> = {
  waiting: 'Waiting',
  prioritized: 'Waiting its turn',
  active: 'Running',
  delayed: 'Retrying later',
  'waiting-children': 'Waiting for other jobs',
  failed: 'Failed (kept 30 days)',
  completed: 'Done (kept 7 days)',
};

/** The states that are work still to do: the queue's depth. Failed and done jobs are history, listed in the table only. */
export const depthStates = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children'] as const satisfies readonly QueueState[];

export const depthStateColours: Record<(typeof depthStates)[number], MantineColor> = {
  waiting: 'indigo.6', prioritized: 'indigo.3', active: 'teal.6', delayed: 'yellow.6', 'waiting-children': 'gray.5',
};

const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
export const formatPercent = (share: number) => percent.format(share);

const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
export const formatDecimal = (value: number) => decimal.format(value);

/** "1 record", "12 records". */
export const counted = (value: number, one: string, many = `${one}s`) => `${formatCount(value)} ${value === 1 ? one : many}`;

/** A UTC day (YYYY-MM-DD) as "1 Dec", or with the year: "1 Dec 2026". */
export function formatDay(day: string, withYear = false): string {
  return new Date(`${day.slice(0, 10)}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric', month: 'short', year: withYear ? 'numeric' : undefined, timeZone: 'UTC',
  });
}

/** Minutes of work as a person reads them: "40 seconds", "1 minute", "12.5 minutes". */
export function formatMinutes(minutes: number): string {
  if (minutes < 1) return counted(Math.round(minutes * 60), 'second');
  return `${formatDecimal(minutes)} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

/** How long a job has waited: "45 s", "12 min", "3 h 5 min", "2 days". */
export function formatWait(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}
