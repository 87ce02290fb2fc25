// The one logger: JSON lines (pino), so ops can ship them as they are.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'listings-pipeline'): Logger {
  return pino({ name, level });
}
