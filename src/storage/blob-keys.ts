// Blob names of DESIGN.md: {env}-data/raw/{domain}/{dmo_id}/{YYYYMMDD}/job-{run:06}-{seq:02}.{format}.gz
const yyyymmdd = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '');
const pad = (value: number, width: number) => String(value).padStart(width, '0');

export interface RunFileName {
  env: string;
  domain: string;
  dmoId: number;
  runId: number;
  date: Date;
}

export function rawFileKey(run: RunFileName, seq: number, format: string): string {
  return `${run.env}-data/raw/${run.domain}/${run.dmoId}/${yyyymmdd(run.date)}/job-${pad(run.runId, 6)}-${pad(seq, 2)}.${format}.gz`;
}

/** The file an admin uploaded, kept as sent: the raw files are made from it. */
export function uploadKey(run: RunFileName, extension: string): string {
  return `${run.env}-data/upload/${run.domain}/${run.dmoId}/${yyyymmdd(run.date)}/job-${pad(run.runId, 6)}.${extension}`;
}
