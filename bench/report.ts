// Plain-text tables for the terminal: text columns left, figures right.
export type Cell = string | number;

const group = new Intl.NumberFormat('en-US');

export const count = (n: number) => group.format(n);
export const seconds = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(3) : '–');
export const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)}×` : '–');

export function table(title: string, header: string[], rows: Cell[][]): string {
  const body = rows.map((row) => row.map(String));
  const widths = header.map((name, col) => Math.max(name.length, ...body.map((row) => row[col]?.length ?? 0)));
  // a column of figures is right-aligned, its header too, so digits line up under it
  const numeric = header.map((_, col) => body.every((row) => /^[\d–-]/.test(row[col] ?? '')));
  const line = (row: string[]) =>
    row.map((cell, col) => (numeric[col] ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join('  ').trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [title, line(header), rule, ...body.map(line)].join('\n');
}
