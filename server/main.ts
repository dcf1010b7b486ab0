#!/usr/bin/env node
import 'reflect-metadata'
import { Command, CommanderError } from 'commander'
import { startApp } from './app'
import { DEFAULT_TRANSCRIPTS_DIR, runImport } from './cli/import-command'
import { ConfigError, helpText, isLoopbackHost, loadConfig, type Config } from './config'
import { drain } from './http/drain'
import { createLogger } from './logger'

/**
 * CLI entry: `claudescope` serves, `claudescope import [dir]` imports Claude Code transcripts.
 * Configuration comes from the environment (see --help).
 */
async function main(argv: string[]): Promise<void> {
  const program = new Command('claudescope')
    .helpOption('-h, --help', 'show the options (environment variables) and commands')
    .configureHelp({ formatHelp: () => `${helpText()}\n\nCommands:\n  import [dir]                        Import Claude Code transcripts (default: ${DEFAULT_TRANSCRIPTS_DIR}); see \`claudescope import --help\`\n` })
    .configureOutput({ outputError: (text, write) => write(`${text.trimEnd()} Options are environment variables; see --help.\n`) })
    .exitOverride()
    .action(async () => {
      const config = configOrExit()
      if (config !== null) await serve(config)
    })
  program
    .command('import')
    .configureHelp({})
    .configureOutput({ outputError: (text, write) => write(text) })
    .argument('[dir]', 'directory of transcripts', DEFAULT_TRANSCRIPTS_DIR)
    .description('Import Claude Code transcripts (<project>/<session>.jsonl and <session>/subagents/agent-*.jsonl) into conversations, idempotently')
    .action(async (dir: string) => {
      const config = configOrExit()
      if (config !== null) process.exitCode = await runImport(dir, config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel))
    })
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    process.exitCode = err.exitCode === 0 ? 0 : 2
  }
}

/** The configuration, or null (and exit code 2) when the environment is wrong. */
function configOrExit(): Config | null {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\nSee `claudescope --help`.\n')
      process.exitCode = 2
      return null
    }
    throw err
  }
}

async function serve(config: Config): Promise<void> {
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
