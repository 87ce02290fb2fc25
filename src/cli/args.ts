// The ops CLI's command line: commands, their options (node:util parseArgs), and the usage text.
// A wrong argument is a UsageError naming it; main prints it with the usage and exits 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runStatuses, type RunStatus } from '../domain/run-lifecycle';

export class UsageError extends Error {}

export const usage = `Usage: npm run pipeline -- <command> [options]

Talks to the pipeline's HTTP API, as the admin UI does.
  PIPELINE_URL    the server (default http://localhost:3000)
  PIPELINE_TOKEN  a bearer token: admin UI → My account → API tokens, or POST /api/v1/auth/tokens

Commands:
  run <configId> [--file path] [--wait]   start a run of a config; a file source (csv) needs --file,
                                          which is streamed to the run; --wait follows it to its end
  show <runId> [--json]                   a run's status, stage, progress, counts, errors and times
  retry <runId> [--wait]                  resume a failed run from the step that failed
  cancel <runId>                          stop a queued or running run
  discard <runId>                         drop the staged rows of an unpromoted run
  promote <runId> [--approve-proposed] [--wait]
                                          promote a run awaiting review (its approved rows);
                                          --approve-proposed first approves the rows the pipeline proposes
  runs [--config id] [--status s] [--limit n]
                                          the latest runs (default 50), newest first; a status is
                                          one of ${runStatuses.slice(0, 4).join(', ')},
                                          ${runStatuses.slice(4).join(', ')}
  schedules                               the configs with a schedule, and their next run

Every command takes --json (print the API's JSON) and --help.
Exit codes: 0 done; 1 the server refused (its message is printed), could not be reached, or a
waited-for run failed or was cancelled; 2 a wrong command line or no PIPELINE_TOKEN.`;

export type Command =
  | { name: 'help' }
  | { name: 'run'; configId: number; file?: string; wait: boolean; json: boolean }
  | { name: 'show'; runId: number; json: boolean }
  | { name: 'retry'; runId: number; wait: boolean; json: boolean }
  | { name: 'cancel' | 'discard'; runId: number; json: boolean }
  | { name: 'promote'; runId: number; approveProposed: boolean; wait: boolean; json: boolean }
  | { name: 'runs'; configId?: number; status?: RunStatus; limit: number; json: boolean }
  | { name: 'schedules'; json: boolean };

type Options = NonNullable<ParseArgsConfig['options']>;
const common: Options = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
const wait: Options = { wait: { type: 'boolean' } };

/** Each command: its options beyond --json/--help, and the name of its one positional argument. */
const commands: Record<Exclude<Command['name'], 'help'>, { options: Options; positional?: string }> = {
  run: { options: { ...wait, file: { type: 'string' } }, positional: 'configId' },
  show: { options: {}, positional: 'runId' },
  retry: { options: wait, positional: 'runId' },
  cancel: { options: {}, positional: 'runId' },
  discard: { options: {}, positional: 'runId' },
  promote: { options: { ...wait, 'approve-proposed': { type: 'boolean' } }, positional: 'runId' },
  runs: { options: { config: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } } },
  schedules: { options: {} },
};
const isCommand = (name: string): name is keyof typeof commands => Object.hasOwn(commands, name);

function id(value: string | undefined, what: string): number {
  if (value === undefined) throw new UsageError(`${what}: missing`);
  if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${what}: expected a positive whole number (got "${value}")`);
  }
  return Number(value);
}

export function parseCommand(argv: string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('no command given');
  if (name === '--help' || name === '-h' || name === 'help') return { name: 'help' };
  if (name.startsWith('-')) throw new UsageError(`${name}: put the command first`);
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}"; expected one of ${Object.keys(commands).join(', ')}`);
  const spec = commands[name];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...common, ...spec.options }, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs names the option: "Unknown option '--fil'", "Option '--file <value>' argument missing"
    throw new UsageError(`${name}: ${(error as Error).message.split(/\. (?=[A-Z])|\n/)[0]}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { name: 'help' };
  const json = values.json === true;
  const expected = spec.positional ? 1 : 0;
  if (parsed.positionals.length > expected) {
    throw new UsageError(`${name}: unexpected argument "${parsed.positionals[expected]}"`);
  }
  const positional = () => id(parsed.positionals[0], `${name} <${spec.positional}>`);
  switch (name) {
    case 'run': {
      const file = values.file as string | undefined;
      if (file === '') throw new UsageError('run --file: give the path of the file to send');
      return { name, configId: positional(), file, wait: values.wait === true, json };
    }
    case 'show':
    case 'cancel':
    case 'discard':
      return { name, runId: positional(), json };
    case 'retry':
      return { name, runId: positional(), wait: values.wait === true, json };
    case 'promote':
      return { name, runId: positional(), approveProposed: values['approve-proposed'] === true, wait: values.wait === true, json };
    case 'runs': {
      const status = values.status as string | undefined;
      if (status !== undefined && !(runStatuses as readonly string[]).includes(status)) {
        throw new UsageError(`runs --status: unknown status "${status}"; expected one of ${runStatuses.join(', ')}`);
      }
      const limit = values.limit === undefined ? 50 : id(values.limit as string, 'runs --limit');
      if (limit > 500) throw new UsageError(`runs --limit: at most 500 (got ${limit})`);
      return {
        name, json, limit, status: status as RunStatus | undefined,
        configId: values.config === undefined ? undefined : id(values.config as string, 'runs --config'),
      };
    }
    case 'schedules':
      return { name, json };
  }
}
