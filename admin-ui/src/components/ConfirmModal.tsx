// Asks before an action that changes or removes something, in plain words: what will happen, one button
// that does it, and the server's message in the dialog when it is refused (the dialog stays open).
import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, Stack } from '@mantine/core';
import { ErrorAlert } from './ErrorAlert';

export interface ConfirmModalProps {
  opened: boolean;
  title: string;
  /** What will happen, for a person who is not a programmer. */
  children: ReactNode;
  confirmLabel: string;
  /** red for what removes or locks out, the theme's colour otherwise */
  color?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}

export function ConfirmModal({ opened, title, children, confirmLabel, color, onConfirm, onClose }: ConfirmModalProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const close = () => {
    if (busy) return;
    setError(null);
    onClose();
  };

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setBusy(false);
      onClose();
    } catch (caught) {
      setBusy(false);
      setError(caught);
    }
  }

  return (
    <Modal opened={opened} onClose={close} title={title} centered>
      <Stack>
        {children}
        <ErrorAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={busy}>Cancel</Button>
          <Button color={color} loading={busy} onClick={() => void confirm()} data-autofocus>{confirmLabel}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
