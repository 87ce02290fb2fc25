// The view of a run's review lives in the URL (?action=&review=&warnings=&q=&page=&row=), so a reload
// or a shared link shows the same tab, filters, page and open row.
import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { recordActions, reviewStatuses, type RecordAction, type ReviewStatus } from '@contract/runs';
import type { RowsView } from './review-api';

export interface ReviewView extends RowsView {
  /** the row whose diff is open */
  row?: number;
}

const isAction = (value: string | null): value is RecordAction => (recordActions as readonly string[]).includes(value ?? '');
const isReview = (value: string | null): value is ReviewStatus => (reviewStatuses as readonly string[]).includes(value ?? '');
const positiveInt = (value: string | null) => {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

export function useReviewView(defaultAction: RecordAction) {
  const [params, setParams] = useSearchParams();
  const view: ReviewView = useMemo(() => {
    const action = params.get('action');
    const review = params.get('review');
    return {
      action: isAction(action) ? action : defaultAction,
      review: isReview(review) ? review : undefined,
      warnings: params.get('warnings') === 'true',
      q: params.get('q') ?? '',
      page: positiveInt(params.get('page')) ?? 1,
      row: positiveInt(params.get('row')),
    };
  }, [params, defaultAction]);
  const explicitAction = isAction(params.get('action'));

  /** Changes the view; any change other than the page or the open row starts again at page 1. */
  const update = useCallback(
    (change: Partial<ReviewView>, options: { replace?: boolean } = {}) => {
      setParams((current) => {
        const next = new URLSearchParams(current);
        const resetsPage = Object.keys(change).some((key) => key !== 'page' && key !== 'row');
        const set = (key: string, value: string | undefined) => (value ? next.set(key, value) : next.delete(key));
        if ('action' in change) set('action', change.action);
        if ('review' in change) set('review', change.review);
        if ('warnings' in change) set('warnings', change.warnings ? 'true' : undefined);
        if ('q' in change) set('q', change.q || undefined);
        if ('row' in change) set('row', change.row ? String(change.row) : undefined);
        if ('page' in change) set('page', change.page && change.page > 1 ? String(change.page) : undefined);
        else if (resetsPage) next.delete('page');
        return next;
      }, { replace: options.replace });
    },
    [setParams],
  );
  return { view, update, explicitAction };
}
