// The ops CLI (`npm run pipeline -- <command>`) as its own process against the real server and
// workers: a CSV run streamed from disk and followed to review, show, promote, the server's refusals
// printed as it words them, and wrong command lines.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '..');

let product: PipelineUnderTest;
let token: string;
let dir: string;
beforeAll(async () => {
  product = await startPipelineUnderTest();
  // a token of the signed-in admin, as My account makes one
  const created = await product.admin.post('/api/v1/auth/tokens', { name: 'cli test' });
  expect(created.status).toBe(201);
  token = created.body.token;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-cli-'));
});
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await product.close();
});

interface Result { code: number | null; stdout: string; stderr: string }

/** node --import tsx src/cli/main.ts …args, as `npm run pipeline --` starts it. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: JSON.parse(JSON.stringify({
        PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp',
        PIPELINE_URL: product.server.url, PIPELINE_TOKEN: token, PIPELINE_POLL_MS: '100', ...env,
      })),
      timeout: 90_000,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let sources = 0;
const source = (params: Record<string, unknown> = {}) => createCsvSource(product.admin, `CLI ${(sources += 1)}`, 3, params);

function csvFile(name: string, rows: number, from: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, listingsCsv(makeListings(rows, from)));
  return file;
}

describe('a CSV run from the command line', () => {
  let configId: number;
  let runId: number;

  it('run <config> --file x.csv --wait streams the file, follows the run to awaiting_review and prints the counts', async () => {
    ({ configId } = await source());
    const file = csvFile('harbour.csv', 3, 1);
    const result = await cli(['run', String(configId), '--file', file, '--wait']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    runId = Number(/^Run (\d+) of config/m.exec(result.stdout)?.[1]);
    expect(runId).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/waiting for its file; sending harbour\.csv/);
    expect(result.stdout).toMatch(new RegExp(`Uploaded ${fs.statSync(file).size} B as file \\d+`));
    expect(result.stdout).toMatch(new RegExp(`run ${runId}  (queued|running)`));
    expect(result.stdout).toMatch(/^status\s+awaiting_review$/m);
    expect(result.stdout).toMatch(/^records\s+3 total, 3 new, 0 updated, 0 deleted, 0 duplicates, 0 unchanged, 0 possible matches, 0 errors$/m);
    expect(result.stdout).toMatch(/^errors\s+0 logged$/m);
    // what the API says of the run
    const run = (await product.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body;
    expect(run).toMatchObject({ status: 'awaiting_review', config_id: configId, results: { records_total: 3, records_new: 3 } });
    const files = (await product.admin.get(`/api/v1/pipeline/jobs/${runId}/files`)).body.files;
    expect(files.find((f: { kind: string }) => f.kind === 'upload')).toMatchObject({ original_name: 'harbour.csv', bytes: fs.statSync(file).size });
  });

  it('show --json prints the run as the API has it; show prints a readable block', async () => {
    const asJson = await cli(['show', String(runId), '--json']);
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual((await product.admin.get(`/api/v1/pipeline/jobs/${runId}`)).body);
    const block = await cli(['show', String(runId)]);
    expect(block.code).toBe(0);
    expect(block.stdout).toMatch(new RegExp(`^run\\s+${runId}$`, 'm'));
    expect(block.stdout).toMatch(new RegExp(`^config\\s+${configId} \\(DMO \\d+\\)$`, 'm'));
    expect(block.stdout).toMatch(/^stage\s+review$/m);
    expect(block.stdout).toMatch(/^progress\s+\w+/m);
    expect(block.stdout).toMatch(/^created\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
    expect(block.stdout).toMatch(/^finished\s+-$/m);
  });

  it('runs lists the config\'s runs as a table', async () => {
    const result = await cli(['runs', '--config', String(configId)]);
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^id\s+config\s+dmo\s+status\s+progress\s+records\s+new/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${runId}\\s+${configId}\\s+\\d+\\s+awaiting_review\\s+.*\\s3\\s+3\\s+0\\s+0\\s+0\\s`));
    const none = await cli(['runs', '--config', String(configId), '--status', 'failed']);
    expect(none).toMatchObject({ code: 0, stdout: 'No runs match.\n' });
  });

  it('promote --approve-proposed approves the proposed rows and promotes them', async () => {
    const result = await cli(['promote', String(runId), '--approve-proposed', '--wait']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(`Run ${runId}: approved 3 proposed rows`);
    expect(result.stdout).toMatch(/^status\s+promoted$/m);
    expect(result.stdout).toMatch(/^promoted\s+3 inserted, 0 updated/m);
    const run = await waitForRun(product.admin, runId, ['promoted'], 5_000);
    expect(run.promote_results).toMatchObject({ inserted: 3 });
  });

  it('cancel of a promoted run exits 1 with the server\'s own 409 message', async () => {
    const result = await cli(['cancel', String(runId)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const refusal = await product.admin.post(`/api/v1/pipeline/jobs/${runId}/cancel`);
    expect(refusal.status).toBe(409);
    expect(refusal.body.error.message).toMatch(/promoted/);
    expect(result.stderr).toBe(`${refusal.body.error.message}\n`);
  });
});

describe('other commands', () => {
  it('promote without approved rows prints the server\'s message and how to approve the proposed ones', async () => {
    const { configId } = await source();
    const runId = await startCsvRun(product.admin, configId, listingsCsv(makeListings(2, 100)));
    await waitForRun(product.admin, runId, ['awaiting_review']);
    const result = await cli(['promote', String(runId)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Run ${runId} has no approved row`));
    expect(result.stderr).toMatch(`promote ${runId} --approve-proposed`);
    const discarded = await cli(['discard', String(runId)]);
    expect(discarded).toMatchObject({ code: 0, stdout: `Run ${runId}: discarded, its staged rows dropped; now cancelled\n` });
  });

  it('run of a CSV config without --file is a wrong command line and starts no run', async () => {
    const { configId } = await source();
    const result = await cli(['run', String(configId)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(`config ${configId} is a csv source: give the file to import with --file <path>`);
    expect((await product.admin.get(`/api/v1/pipeline/jobs?configId=${configId}`)).body.jobs).toEqual([]);
    const missing = await cli(['run', String(configId), '--file', path.join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/run --file: cannot read .*nope\.csv \(ENOENT\)/);
  });

  it('schedules lists the configs with a schedule', async () => {
    const { configId } = await source();
    const patched = await product.admin.patch(`/api/v1/pipeline/configs/${configId}`, { schedule: 'daily', name: 'Nightly harbour' });
    expect(patched.status).toBe(200);
    const result = await cli(['schedules']);
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^id\s+name\s+dmo\s+source\s+schedule\s+active\s+next_run_at$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${configId}\\s+Nightly harbour\\s+\\d+\\s+csv\\s+daily\\s+yes\\s+\\d{4}-\\d\\d-\\d\\d 03:00:00Z$`));
    const asJson = JSON.parse((await cli(['schedules', '--json'])).stdout);
    expect(asJson).toEqual([expect.objectContaining({ id: configId, schedule: 'daily', active: true, next_run_at: expect.any(String) })]);
  });

  it('show of a run that does not exist prints the server\'s 404 message', async () => {
    const result = await cli(['show', '999999']);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'Run 999999 was not found\n' });
  });
});

describe('wrong set-ups and command lines', () => {
  it('without PIPELINE_TOKEN it says how to get one and exits 2', async () => {
    const result = await cli(['runs'], { PIPELINE_TOKEN: undefined });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/PIPELINE_TOKEN is not set/);
    expect(result.stderr).toMatch(/My account → API tokens/);
    expect(result.stderr).toMatch(`${product.server.url}/api/v1/auth/tokens`);
  });

  it('a token the server does not accept: its 401 message, exit 1', async () => {
    const result = await cli(['runs'], { PIPELINE_TOKEN: 'not-a-token' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^.+\nPIPELINE_TOKEN was not accepted/);
  });

  it('an unknown command, a bad id or an unknown option prints the usage naming it and exits 2', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown command "frobnicate"; expected one of run, show/);
    expect(unknown.stderr).toMatch(/Usage: npm run pipeline -- <command>/);
    const badId = await cli(['show', 'abc']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/^show <runId>: expected a positive whole number \(got "abc"\)/);
    const badOption = await cli(['run', '1', '--fil', 'x.csv']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/^run: Unknown option '--fil'/);
    const badStatus = await cli(['runs', '--status', 'done']);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/^runs --status: unknown status "done"/);
  });

  it('--help prints the usage and exits 0, token or not', async () => {
    const result = await cli(['--help'], { PIPELINE_TOKEN: undefined });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: npm run pipeline -- <command>/);
    expect(result.stdout).toMatch(/promote <runId> \[--approve-proposed\]/);
    expect((await cli(['show', '--help'])).code).toBe(0);
  });

  it('a server that cannot be reached is named, exit 1', async () => {
    const result = await cli(['runs'], { PIPELINE_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Cannot reach the pipeline at http:\/\/127\.0\.0\.1:9/);
  });
});
