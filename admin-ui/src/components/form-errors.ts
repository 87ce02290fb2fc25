// A form's messages per field: the same zod schema the server validates with, run in the browser as the
// person types, and the server's own {path, message} details when it refuses a request anyway.
import type { z } from 'zod';
import { formatPath } from '@contract/errors';
import { ApiError } from '../app/api';

/** Every field's first message from the schema, by path; empty when the value passes. */
export function schemaErrors(schema: z.ZodType, value: unknown): Record<string, string> {
  const parsed = schema.safeParse(value);
  const errors: Record<string, string> = {};
  if (parsed.success) return errors;
  for (const issue of parsed.error.issues) {
    const path = formatPath(issue.path);
    errors[path] ??= issue.message;
  }
  return errors;
}

/** A field's message: the server's answer to the last request first, else what the schema says now. */
export function fieldError(path: string, local: Record<string, string>, serverError: unknown, show = true): string | undefined {
  const server = serverError instanceof ApiError ? serverError.fieldMessage(path) : undefined;
  if (server) return server;
  return show ? local[path] : undefined;
}
