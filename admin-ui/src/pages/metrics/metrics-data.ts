// What the Metrics page reads: one summary of the fleet for a window of days (GET
// /api/v1/pipeline/metrics/summary), and the windows a person can choose, kept in the address.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { defaultSummaryDays, metricsSummaryPath, type MetricsSummary } from '@contract/metrics';
import { api, query } from '../../app/api';

/** The windows the page offers; the server takes any number of days up to a year. */
export const dayChoices = [7, 30, 90] as const;
export type DayChoice = (typeof dayChoices)[number];

/** The window shown when the address names none: the server's default when it is a choice. */
export const fallbackDays: DayChoice = dayChoices.find((days) => days === defaultSummaryDays) ?? 30;

/** ?days= when it is one of the choices, else the fallback. */
export function readDays(params: URLSearchParams): DayChoice {
  return dayChoices.find((days) => String(days) === params.get('days')) ?? fallbackDays;
}

export const metricsSummaryKey = (days: number) => ['metrics-page', 'summary', days] as const;

export function useMetricsSummary(days: DayChoice) {
  return useQuery({
    queryKey: metricsSummaryKey(days),
    queryFn: () => api.get<MetricsSummary>(`/api/v1/pipeline${metricsSummaryPath}${query({ days })}`),
    // another window keeps the charts on screen until its figures arrive
    placeholderData: keepPreviousData,
  });
}
