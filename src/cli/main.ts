// The ops CLI: `npm run pipeline -- <command>`. It speaks to the product's HTTP API (PIPELINE_URL,
// PIPELINE_TOKEN), so every command runs the code paths the API and the admin UI run. Exit codes:
// 0 done, 1 the server refused or could not be reached (or a followed run failed), 2 a wrong command
// line or no token.
import { parseCommand, usage, UsageError } from './args';
import { execute, type Io } from './commands';
import { PipelineApi, Refusal, Unreachable } from './http';

const defaultUrl = 'http://localhost:3000';

const tokenAdvice = `PIPELINE_TOKEN is not set: the CLI signs in with a bearer token.
Create one in the admin UI (My account → API tokens), or with the API:
  curl -c jar -H 'content-type: application/json' -d '{"email":"…","password":"…"}' $PIPELINE_URL/api/v1/auth/login
  curl -b jar -H 'content-type: application/json' -d '{"name":"cli"}' $PIPELINE_URL/api/v1/auth/tokens
then: export PIPELINE_TOKEN=<token>`;

const stdio: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(/[\r\n]$/.test(text) || text.startsWith('\r') ? text : `${text}\n`),
  tty: Boolean(process.stderr.isTTY),
};

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: Io = stdio): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.name === 'help') {
      io.out(usage);
      return 0;
    }
    const baseUrl = (env.PIPELINE_URL || defaultUrl).trim();
    if (!/^https?:\/\/[^/]/.test(baseUrl) || !URL.canParse(baseUrl)) {
      io.err(`PIPELINE_URL: expected the server's address such as ${defaultUrl} (got "${baseUrl}")`);
      return 2;
    }
    const token = env.PIPELINE_TOKEN?.trim();
    if (!token) {
      io.err(tokenAdvice.replace(/\$PIPELINE_URL/g, baseUrl.replace(/\/+$/, '')));
      return 2;
    }
    const pollMs = Number(env.PIPELINE_POLL_MS) > 0 ? Number(env.PIPELINE_POLL_MS) : 1000;
    return await execute(command, { api: new PipelineApi(baseUrl, token), io, pollMs });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${usage}`);
      return 2;
    }
    const hint = (error as { hint?: string }).hint;
    if (error instanceof Refusal) {
      io.err(error.message);
      if (error.status === 401) io.err('PIPELINE_TOKEN was not accepted: it may be revoked or its user disabled; create a new one under My account → API tokens');
    } else if (error instanceof Unreachable) {
      io.err(error.message);
    } else {
      io.err(`Unexpected error: ${(error as Error).stack ?? String(error)}`);
    }
    if (hint) io.err(hint);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
