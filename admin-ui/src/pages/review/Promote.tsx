// Promote: a confirmation that says exactly what will happen to production, from the approved rows
// per action, then the outcome once the promote step has run.
import { useState } from 'react';
import { Alert, Button, Group, Loader, Modal, Progress, SimpleGrid, Stack, Text } from '@mantine/core';
import type { RunResponse } from '@contract/runs';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatCount } from '../../components/format';
import { usePromote, usePromotePlan, type PromotePlan } from './review-api';
import { plural } from './words';

const n = formatCount;

/** "Promote will insert 12 new listings, update 3, soft-delete 2 (hidden, not erased) and refresh 40 unchanged." */
export function promoteSentence(plan: PromotePlan): string | null {
  const a = plan.approved;
  const parts: string[] = [];
  if (a.insert) parts.push(`insert ${n(a.insert)} new ${plural(a.insert, 'listing')}`);
  const noun = (count: number) => (parts.length ? '' : ` ${plural(count, 'listing')}`);
  if (a.update) parts.push(`update ${n(a.update)}${noun(a.update)}`);
  if (a.delete) parts.push(`soft-delete ${n(a.delete)}${noun(a.delete)} (hidden, not erased)`);
  if (a.unchanged) parts.push(`refresh ${n(a.unchanged)} unchanged${parts.length ? '' : ` ${plural(a.unchanged, 'listing')}`}`);
  if (!parts.length) return null;
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `Promote will ${list}.`;
}

function PlanText({ plan }: { plan: PromotePlan }) {
  const sentence = promoteSentence(plan);
  const skipped = plan.approved.duplicate + plan.approved.possible_match;
  const unapproved = plan.pending + plan.rejected;
  return (
    <Stack gap="xs" data-testid="promote-plan">
      {sentence ? <Text fw={500}>{sentence}</Text> : <Text fw={500}>No row is approved, so there is nothing to promote yet. Approve rows first.</Text>}
      {skipped > 0 && (
        <Text size="sm">
          {n(skipped)} approved {plural(skipped, 'row')} {plural(skipped, 'is a duplicate or an unresolved possible match', 'are duplicates or unresolved possible matches')} and
          will be skipped.
        </Text>
      )}
      <Text size="sm">
        {unapproved === 0
          ? 'Every row of this run is approved.'
          : `${n(unapproved)} ${plural(unapproved, 'row stays', 'rows stay')} unapproved and will not be promoted` +
            ` (${n(plan.pending)} pending, ${n(plan.rejected)} rejected).`}
      </Text>
      {sentence && <Text size="sm" c="dimmed">Changes are written to the live site and to each listing's history. This cannot be undone from here.</Text>}
    </Stack>
  );
}

export function PromoteButton({ run }: { run: RunResponse }) {
  const [opened, setOpened] = useState(false);
  const plan = usePromotePlan(run.id, opened);
  const promote = usePromote(run.id);
  const nothing = plan.data ? promoteSentence(plan.data) === null : true;
  const close = () => (setOpened(false), promote.reset());
  return (
    <>
      <Button color="grape" onClick={() => setOpened(true)}>Promote…</Button>
      <Modal opened={opened} onClose={close} title={<Text fw={700}>Promote run #{run.id} to production?</Text>} size="lg">
        <Stack>
          {plan.isFetching && !plan.data && <Loader size="sm" aria-label="Counting the approved rows" />}
          <ErrorAlert error={plan.error} />
          {plan.data && <PlanText plan={plan.data} />}
          <ErrorAlert error={promote.error} title="Promote was refused" />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>Cancel</Button>
            <Button color="grape" disabled={nothing || plan.isFetching} loading={promote.isPending}
              onClick={() => promote.mutate(undefined, { onSuccess: () => setOpened(false) })}>
              Promote now
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

const resultLabels: [string, string][] = [
  ['inserted', 'Inserted'], ['updated', 'Updated'], ['deleted', 'Deleted (hidden)'], ['unchanged', 'Unchanged (refreshed)'],
  ['skipped', 'Skipped'], ['listings_created', 'Listings created'],
];

export function PromoteOutcome({ run }: { run: RunResponse }) {
  if (run.status === 'promoting') {
    return (
      <Alert color="grape" title="Promoting…" role="status">
        <Stack gap={6}>
          <Text size="sm">The approved rows are being written to production. This page updates by itself.</Text>
          <Progress value={run.progress.percent} animated aria-label="Promote progress" />
        </Stack>
      </Alert>
    );
  }
  if (run.status !== 'promoted' || !run.promote_results) return null;
  const results = run.promote_results;
  return (
    <Alert color="green" title="Promoted to production" role="status" data-testid="promote-outcome">
      <SimpleGrid cols={{ base: 3, md: 6 }} spacing="xs">
        {resultLabels.map(([key, label]) => (
          <div key={key} data-result={key}>
            <Text size="xs" c="dimmed">{label}</Text>
            <Text fw={700} data-value={results[key] ?? 0}>{n(results[key] ?? 0)}</Text>
          </div>
        ))}
      </SimpleGrid>
    </Alert>
  );
}
