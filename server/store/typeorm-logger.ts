import type { Logger as TypeOrmLogger } from 'typeorm'
import type { Logger } from '../logger'

/**
 * Routes TypeORM's messages into our structured log instead of its console output, which would
 * put plain text lines among the JSON ones on stdout. Applied migrations are `info`; pool errors
 * (a restarted or dead database) `warn`; queries only at `trace`, and failed ones at `debug` since
 * their callers handle and report them.
 */
export class StoreLogger implements TypeOrmLogger {
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger.child({ component: 'store' })
  }

  logQuery(query: string): void {
    if (this.#logger.isLevelEnabled('trace')) this.#logger.trace({ query }, 'query')
  }

  logQueryError(error: string | Error, query: string): void {
    this.#logger.debug({ err: error, query }, 'query failed')
  }

  logQuerySlow(timeMs: number, query: string): void {
    this.#logger.warn({ timeMs, query }, 'slow query')
  }

  logSchemaBuild(message: string): void {
    this.#logger.info(message)
  }

  logMigration(message: string): void {
    this.#logger.info(message)
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.#logger[level === 'log' ? 'debug' : level](String(message))
  }
}
