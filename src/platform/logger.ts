/**
 * Structured JSON logging (pino) shaped like etcd's zap logger: `level` as a word, `ts` as ISO time,
 * `msg`. Operators grep for etcd's lifecycle messages ("ready to serve client requests", ...), so call
 * sites use etcd's wording.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'];

export type Logger = PinoLogger;

/** Creates the process logger writing JSON lines to stderr (synchronously, so nothing is lost on exit). */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    {
      level: level === 'panic' ? 'fatal' : level,
      base: null,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything (tests, embedding without logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
