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

/**
 * The file an admin uploaded, kept as sent: the raw files are made from it. Each upload of a run gets
 * its own key (`attempt`, e.g. random hex), so a re-upload is stored beside the recorded file and
 * replaces it only once it is complete; a failed re-upload leaves the recorded one as it was.
 */
export function uploadKey(run: RunFileName, extension: string, attempt: string): string {
  return `${run.env}-data/upload/${run.domain}/${run.dmoId}/${yyyymmdd(run.date)}/job-${pad(run.runId, 6)}-${attempt}.${extension}`;
}

/** A stored image (DESIGN.md): `{env}-images/{dmo_id}/{listing_id or s + staged id}/{sha256}-{variant}.{ext}`, named by content. */
export function imageKey(env: string, dmoId: number, folder: string, sha256: string, variant: string, extension: string): string {
  return `${env}-images/${dmoId}/${folder}/${sha256}-${variant}.${extension}`;
}

/** The only keys the image route serves: an image's name, never a raw file's or an upload's. */
export const imageKeyPattern = /^[a-z0-9-]+-images\/\d{1,10}\/s?\d{1,19}\/[0-9a-f]{64}-[a-z][a-z0-9]{0,15}\.(jpg|png|webp|avif|gif)$/;
