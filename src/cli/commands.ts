// The ops CLI's commands, each one or a few calls of the product's HTTP API (the code paths the admin
// UI runs). They print through `io` and return the exit code; a refusal of the server is thrown as a
// Refusal, which main prints.
import fs from 'node:fs';
import path from 'node:path';
import type { ExecuteStageResponse, RunResponse, UploadResponse } from '../contract/runs';
import { needsUpload, type ConfigParams, type SourceType } from '../domain/config-params';
import type { RunStatus } from '../domain/run-lifecycle';
import { UsageError, type Command } from './args';
import { bytesText, progressText, runBlock, runsTable, schedulesTable, type ScheduledConfig } from './format';
import { Refusal, withHint, type PipelineApi } from './http';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: upload progress may be redrawn in place */
  tty: boolean;
}

export interface CliContext {
  api: PipelineApi;
  io: Io;
  /** how often --wait asks for the run */
  pollMs: number;
}

/** A run in these statuses moves on by itself: --wait keeps following it. */
const inFlight: readonly RunStatus[] = ['queued', 'running', 'promoting'];
/** A followed run that ends so did not do what was asked: exit 1. */
const unsuccessful: readonly RunStatus[] = ['failed', 'cancelled'];

const cli = 'npm run pipeline --';
const json = (value: unknown) => JSON.stringify(value, null, 2);

export async function execute(command: Exclude<Command, { name: 'help' }>, ctx: CliContext): Promise<number> {
  switch (command.name) {
    case 'run': return startRun(ctx, command);
    case 'show': return show(ctx, command.runId, command.json);
    case 'retry': {
      const run = await ctx.api.post<RunResponse>(`/pipeline/jobs/${command.runId}/retry`);
      return afterAction(ctx, run, `retried from its ${run.stage} step`, command);
    }
    case 'cancel':
      return afterAction(ctx, await ctx.api.post<RunResponse>(`/pipeline/jobs/${command.runId}/cancel`), 'cancelled', command);
    case 'discard':
      return afterAction(ctx, await ctx.api.post<RunResponse>(`/pipeline/jobs/${command.runId}/discard`), 'discarded, its staged rows dropped', command);
    case 'promote': return promote(ctx, command);
    case 'runs': return listRuns(ctx, command);
    case 'schedules': return listSchedules(ctx, command.json);
  }
}

async function afterAction(ctx: CliContext, run: RunResponse, done: string, options: { json: boolean; wait?: boolean }): Promise<number> {
  if (options.wait) {
    if (!options.json) ctx.io.out(`Run ${run.id}: ${done}; now ${run.status}`);
    return follow(ctx, run.id, options.json);
  }
  ctx.io.out(options.json ? json(run) : `Run ${run.id}: ${done}; now ${run.status}`);
  return 0;
}

// ---------------------------------------------------------------- run

async function startRun(ctx: CliContext, command: Extract<Command, { name: 'run' }>): Promise<number> {
  const { api, io } = ctx;
  let fileSize: number | null = null;
  if (command.file !== undefined) {
    // a file that cannot be read is a wrong argument: found before any run is created
    try {
      const stat = fs.statSync(command.file);
      if (!stat.isFile()) throw new Error('not a regular file');
      fs.accessSync(command.file, fs.constants.R_OK);
      fileSize = stat.size;
    } catch (error) {
      throw new UsageError(`run --file: cannot read ${command.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const config = await api.get<{ id: number; source_type: SourceType; active: boolean; config_params: ConfigParams }>(`/pipeline/configs/${command.configId}`);
  const needsFile = needsUpload(config.source_type, config.config_params);
  if (needsFile && command.file === undefined) {
    throw new UsageError(`run: config ${config.id} is a ${config.source_type} source: give the file to import with --file <path>`);
  }
  if (!needsFile && command.file !== undefined) {
    throw new UsageError(`run --file: config ${config.id} is a ${config.source_type} source, which reads its own records; drop --file`);
  }
  const started = await api.post<ExecuteStageResponse>('/pipeline/executeStage', { configId: config.id });
  const say = (text: string) => (command.json ? io.err(text) : io.out(text));
  let runId = started.jobId;
  if (started.status === 'waiting_for_input') {
    if (command.file === undefined) {
      // the server says it needs a file although the config did not look like a file source
      io.err(`Run ${runId} is waiting for its file: cancel it (${cli} cancel ${runId}) and start again with --file <path>`);
      return 1;
    }
    say(`Run ${runId} of config ${config.id}: waiting for its file; sending ${path.basename(command.file)} (${bytesText(fileSize ?? 0)})`);
    let uploaded = false;
    try {
      const upload = await sendFile(ctx, runId, command.file, fileSize ?? 0);
      uploaded = true;
      say(`Uploaded ${bytesText(upload.bytes)} as file ${upload.fileId}`);
      const continued = await api.post<ExecuteStageResponse>('/pipeline/executeStage', { jobId: runId, continue: true });
      runId = continued.jobId;
    } catch (error) {
      // the server's message comes first (main prints it), then what is left behind
      throw withHint(error, uploaded
        ? `Run ${runId} holds the file but did not start: start it later with POST /api/v1/pipeline/executeStage {"jobId": ${runId}, "continue": true}, or drop it with ${cli} cancel ${runId}`
        : `Run ${runId} still waits for its file: drop it with ${cli} cancel ${runId} before starting again`);
    }
  } else if ('existing' in started && started.existing) {
    say(`Config ${config.id} already has run ${runId} in flight (${started.status}); a config runs one at a time`);
  } else if (needsFile) {
    // a file source answered queued: the config's run in flight, reported by id; the file was not sent
    io.err(`Config ${config.id} already has run ${runId} queued; the file was not sent. Follow it with ${cli} show ${runId}`);
    return 1;
  }
  if (command.wait) return follow(ctx, runId, command.json);
  const run = await api.get<RunResponse>(`/pipeline/jobs/${runId}`);
  io.out(command.json ? json(run) : `Run ${run.id}: ${run.status}`);
  return 0;
}

/** Streams the file to the run, drawing the bytes sent on a terminal. */
async function sendFile(ctx: CliContext, runId: number, file: string, size: number): Promise<UploadResponse> {
  let lastDrawn = 0;
  const draw = ctx.io.tty && size > 1024 * 1024
    ? (sent: number) => {
      if (Date.now() - lastDrawn < 200 && sent < size) return;
      lastDrawn = Date.now();
      ctx.io.err(`\ruploading ${bytesText(sent)} of ${bytesText(size)} (${Math.floor((sent / size) * 100)}%)`);
    }
    : undefined;
  try {
    return await ctx.api.uploadStageFile(runId, file, draw);
  } finally {
    if (draw) ctx.io.err('\n');
  }
}

/**
 * Follows a run until it leaves queued/running/promoting: a line whenever its status, step or
 * progress changes, then the run as `show` prints it. Failed or cancelled: exit 1.
 */
async function follow(ctx: CliContext, runId: number, asJson: boolean): Promise<number> {
  const { api, io } = ctx;
  const say = (text: string) => (asJson ? io.err(text) : io.out(text));
  let last = '';
  const stopFollowing = () => {
    io.err(`\nStopped following run ${runId}; it goes on without this command: ${cli} show ${runId}`);
    process.exit(130);
  };
  process.once('SIGINT', stopFollowing);
  try {
    for (;;) {
      const run = await api.get<RunResponse>(`/pipeline/jobs/${runId}`);
      const line = `${run.status}  ${progressText(run)}`;
      if (line !== last) {
        say(`${new Date().toISOString().slice(11, 19)}  run ${run.id}  ${line}`);
        last = line;
      }
      if (!inFlight.includes(run.status)) return await finish(ctx, run, asJson);
      await new Promise((resolve) => setTimeout(resolve, ctx.pollMs));
    }
  } finally {
    process.removeListener('SIGINT', stopFollowing);
  }
}

async function finish(ctx: CliContext, run: RunResponse, asJson: boolean): Promise<number> {
  if (asJson) ctx.io.out(json(run));
  else ctx.io.out(`\n${runBlock(run, await errorsLogged(ctx, run.id))}`);
  if (unsuccessful.includes(run.status)) {
    ctx.io.err(`Run ${run.id} ${run.status}${run.error_summary ? `: ${run.error_summary}` : ''}`);
    return 1;
  }
  if (run.status === 'awaiting_review' && !asJson) {
    ctx.io.out(`\nReview it in the admin UI, or promote what the pipeline proposes: ${cli} promote ${run.id} --approve-proposed`);
  }
  return 0;
}

// ---------------------------------------------------------------- show, promote, lists

async function errorsLogged(ctx: CliContext, runId: number): Promise<number | null> {
  const page = await ctx.api.get<{ total: number }>(`/pipeline/jobs/${runId}/errors?pageSize=1`);
  return typeof page?.total === 'number' ? page.total : null;
}

async function show(ctx: CliContext, runId: number, asJson: boolean): Promise<number> {
  const run = await ctx.api.get<RunResponse>(`/pipeline/jobs/${runId}`);
  ctx.io.out(asJson ? json(run) : runBlock(run, await errorsLogged(ctx, run.id)));
  return 0;
}

async function promote(ctx: CliContext, command: Extract<Command, { name: 'promote' }>): Promise<number> {
  const { api, io } = ctx;
  const say = (text: string) => (command.json ? io.err(text) : io.out(text));
  if (command.approveProposed) {
    const { updated } = await api.post<{ updated: number }>('/pipeline/staging/review', {
      jobId: command.runId, filter: { proposed: true }, decision: 'approve',
    });
    say(`Run ${command.runId}: approved ${updated} proposed row${updated === 1 ? '' : 's'}`);
  }
  let answer: { jobId: number; status: string };
  try {
    answer = await api.post<{ jobId: number; status: string }>('/pipeline/staging/promote', { jobId: command.runId });
  } catch (error) {
    if (error instanceof Refusal && error.code === 'nothing_approved') {
      throw withHint(error, `${cli} promote ${command.runId} --approve-proposed approves the rows the pipeline proposes first`);
    }
    throw error;
  }
  if (command.wait) {
    say(`Run ${answer.jobId}: ${answer.status}`);
    return follow(ctx, answer.jobId, command.json);
  }
  io.out(command.json ? json(answer) : `Run ${answer.jobId}: ${answer.status}; follow it with ${cli} show ${answer.jobId}`);
  return 0;
}

async function listRuns(ctx: CliContext, command: Extract<Command, { name: 'runs' }>): Promise<number> {
  const query = new URLSearchParams({ pageSize: String(command.limit) });
  if (command.configId !== undefined) query.set('configId', String(command.configId));
  if (command.status !== undefined) query.set('status', command.status);
  const { jobs } = await ctx.api.get<{ jobs: RunResponse[] }>(`/pipeline/jobs?${query}`);
  if (command.json) ctx.io.out(json(jobs));
  else ctx.io.out(jobs.length ? runsTable(jobs) : 'No runs match.');
  return 0;
}

async function listSchedules(ctx: CliContext, asJson: boolean): Promise<number> {
  const { configs } = await ctx.api.get<{ configs: ScheduledConfig[] }>('/pipeline/configs');
  const scheduled = configs.filter((config) => config.schedule !== 'manual');
  if (asJson) ctx.io.out(json(scheduled));
  else ctx.io.out(scheduled.length ? schedulesTable(scheduled) : 'No config has a schedule (every one is manual).');
  return 0;
}
