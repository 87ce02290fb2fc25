// When a config's recurring imports run: its `schedule` as a cron pattern, or none for manual ones.
import { namedSchedules } from './config-params';

type NamedSchedule = (typeof namedSchedules)[number];

// Named schedules start at quiet hours (03:00 in the schedules' time zone), weekly on Mondays.
const patterns: Record<Exclude<NamedSchedule, 'manual'>, string> = {
  hourly: '0 * * * *',
  daily: '0 3 * * *',
  weekly: '0 3 * * 1',
  monthly: '0 3 1 * *',
};

/** The cron pattern a schedule runs on, or null for `manual` (config_params' schema checked the rest). */
export function cronPatternOf(schedule: string): string | null {
  if (schedule === 'manual') return null;
  return (patterns as Record<string, string>)[schedule] ?? schedule;
}

/** A config has recurring runs while it is active and not manual. */
export const isScheduled = (config: { schedule: string; active: boolean }) => config.active && cronPatternOf(config.schedule) !== null;
