import pino from 'pino'

export type Logger = pino.Logger

/** Structured JSON logs on stdout; `silent` in tests unless LOG_LEVEL says otherwise. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'claudescope' }, timestamp: pino.stdTimeFunctions.isoTime })
}
