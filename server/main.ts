#!/usr/bin/env node
import 'reflect-metadata'
import { startApp } from './app'
import { ConfigError, helpText, isLoopbackHost, loadConfig } from './config'
import { drain } from './http/drain'
import { createLogger } from './logger'

/** CLI entry: `claudescope [--help]`. Configuration comes from the environment (see --help). */
async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText() + '\n')
    return
  }
  const unknown = argv.filter((a) => a.startsWith('-'))
  if (unknown.length > 0) {
    process.stderr.write(`Unknown option ${unknown.join(', ')}. Options are environment variables; see --help.\n`)
    process.exitCode = 2
    return
  }

  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\nSee `claudescope --help`.\n')
      process.exitCode = 2
      return
    }
    throw err
  }

  const logger = createLogger(config.logLevel)
  const app = await startApp(config, logger)
  const shownHost = isLoopbackHost(config.host) ? 'localhost' : config.host
  const base = app.url.replace(/\/\/[^:/]+|\/\/\[[^\]]+\]/, `//${shownHost}`)
  logger.info({ url: app.url, database: app.embeddedDatabase ? 'embedded PGlite' : 'PostgreSQL' }, 'claudescope listening')
  process.stderr.write(
    [
      '',
      `  Claudescope is running on ${base}`,
      `  Dashboard:   ${base}/`,
      `  GraphQL:     ${base}/graphql`,
      `  Database:    ${app.embeddedDatabase ? `embedded PGlite in ${config.dataDirPath}/pglite` : 'PostgreSQL (DATABASE_URL)'}`,
      '',
      '  Point Claude Code at it:',
      `    ANTHROPIC_BASE_URL=${base} claude`,
      '',
    ].join('\n') + '\n',
  )

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping now without waiting for in-flight exchanges')
      app.close().finally(() => process.exit(1))
      return
    }
    stopping = true
    logger.info({ signal }, 'stopping')
    drain({ lifecycle: app.lifecycle, graceMs: config.drainGraceS * 1000, timeoutMs: config.drainTimeoutS * 1000, logger })
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping')
          process.exit(1)
        },
      )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`claudescope failed to start: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
  process.exit(1)
})
