// Small inputs the config form needs beyond Mantine's.
import { useEffect, useState } from 'react';
import { TextInput, type TextInputProps } from '@mantine/core';

const numberPattern = /^-?(?:\d+\.?\d*|\.\d+)$/;

/**
 * A number typed as text: what reads as a number is passed on as one, anything else as the text itself
 * (so the schema says what is wrong with it, as the server would), nothing as undefined. Intermediate
 * states such as "0." stay as typed.
 */
export function NumberText({ value, onValue, ...props }: Omit<TextInputProps, 'value' | 'onChange'> & {
  value: unknown;
  onValue: (value: number | string | undefined) => void;
}) {
  const external = value === undefined || value === null ? '' : String(value);
  const [text, setText] = useState(external);
  useEffect(() => {
    // a change from elsewhere (the JSON tab) replaces the text; the echo of our own typing does not
    setText((current) => (toValue(current) === value || (current === '' && external === '') ? current : external));
  }, [external, value]);
  return (
    <TextInput inputMode="decimal" {...props} value={text}
      onChange={(event) => {
        const next = event.currentTarget.value;
        setText(next);
        onValue(toValue(next));
      }} />
  );
}

function toValue(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  return numberPattern.test(trimmed) ? Number(trimmed) : trimmed;
}
