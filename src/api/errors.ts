// Every error leaves as {"error": {code, message, details}} with a message a person can act on.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { formatPath, type ApiErrorBody } from '../contract/errors';

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

export function errorHandler(log: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (error, _req, res, _next) => {
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
