// A run's status in words and colour, the same on every page.
import { Badge } from '@mantine/core';

const colours: Record<string, string> = {
  waiting_for_input: 'yellow', queued: 'gray', running: 'blue', awaiting_review: 'orange', promoting: 'grape',
  promoted: 'green', failed: 'red', cancelled: 'dark', superseded: 'gray',
};

export const statusLabel = (status: string) => status.replace(/_/g, ' ');

export function StatusBadge({ status }: { status: string }) {
  return <Badge color={colours[status] ?? 'gray'} variant="light" data-status={status}>{statusLabel(status)}</Badge>;
}
