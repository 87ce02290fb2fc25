// Every error leaves as {"error": {code, message, details}} with a message a person can act on.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { formatPath, type ApiErrorBody } from '../contract/errors';
import { QueryTimeout } from '../db/read-pool';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);

export function describeZodError(error: z.ZodError, root?: string): { message: string; details: { path: string; message: string }[] } {
  const details = error.issues.map((issue) => ({ path: formatPath(issue.path, root), message: issue.message }));
  return { message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details };
}

/** Parses input against a schema or throws a 400 naming each wrong field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root?: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { message, details } = describeZodError(parsed.error, root);
  throw new ApiError(400, 'invalid_request', message, details);
}

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}`));

/**
 * A read past API_READ_TIMEOUT_MS: a busy database (or a search it cannot answer quickly), not a bug:
 * 503, which says "try again", with what took too long, never a 500.
 */
function queryTimeoutError(error: QueryTimeout): ApiError {
  return new ApiError(503, 'query_timeout',
    `${error.message} (API_READ_TIMEOUT_MS): the database is busy or the search too broad; try again in a moment, or narrow it`,
    { timeout_ms: error.timeoutMs, waited_for: error.waitedFor });
}

type ErrorLog = { error: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };

export function errorHandler(log: ErrorLog): ErrorRequestHandler {
  return (caught, req, res, _next) => {
    let error: unknown = caught;
    if (error instanceof QueryTimeout) {
      log.warn({ method: req.method, path: req.path, timeoutMs: error.timeoutMs, waitedFor: error.waitedFor }, 'API read took too long');
      error = queryTimeoutError(error);
    }
    if (error instanceof ApiError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message, details: error.details } } satisfies ApiErrorBody);
      return;
    }
    // body-parser errors carry a status and type
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      const type = (error as { type?: string }).type;
      const message =
        type === 'entity.too.large' ? 'The request body is too large' :
        type === 'entity.parse.failed' ? 'The request body is not valid JSON' : (error as Error).message;
      res.status(status).json({ error: { code: type ?? 'bad_request', message } } satisfies ApiErrorBody);
      return;
    }
    log.error({ err: error instanceof Error ? error.stack : String(error) }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal', message: 'Something went wrong on the server; the error was logged' } } satisfies ApiErrorBody);
  };
}
