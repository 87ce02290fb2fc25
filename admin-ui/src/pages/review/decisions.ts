// A review decision as the page hands it around, and how its outcome reads.
import type { ReviewBody } from '@contract/runs';
import { formatCount } from '../../components/format';
import { plural } from './words';

export type DecisionRequest = Omit<ReviewBody, 'jobId'>;

/** Sends a decision; `words` say what happened to the rows ("matched to listing #12"), default approved/rejected. */
export type Decide = (body: DecisionRequest, words?: string) => void;

export const decisionMessage = (updated: number, body: DecisionRequest, words?: string) =>
  `${formatCount(updated)} ${plural(updated, 'row')} ${words ?? (body.decision === 'approve' ? 'approved' : 'rejected')}`;
