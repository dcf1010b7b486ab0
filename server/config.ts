import path from 'node:path'
import { z } from 'zod'

/**
 * Every option Claudescope reads, in one table: the environment name, its default, and what it
 * means. `--help` prints this table, and `loadConfig` validates against it, so the two cannot drift.
 */
interface OptionSpec<T> {
  env: string
  help: string
  /** Shown in --help; absent means "unset". */
  defaultText?: string
  schema: z.ZodType<T>
}

const seconds = (fallback: number) =>
  z.coerce.number().positive('must be a positive number of seconds').default(fallback)
const bytes = (fallback: number) =>
  z.coerce.number().int('must be a whole number of bytes').positive('must be positive').default(fallback)
const milliseconds = (fallback: number) =>
  z.coerce.number().int('must be a whole number of milliseconds').positive('must be positive').default(fallback)
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .default('')
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v))
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
const url = (fallback: string) => z.string().url('must be a URL such as https://api.anthropic.com').default(fallback)
/** Comma-separated regular expressions; `\,` is a comma inside one (and still means a comma to the regex). */
const regexList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const patterns: RegExp[] = []
    for (const source of value ? value.split(/(?<!\\),/) : []) {
      let pattern: RegExp
      try {
        // Flags are the redactor's business: it joins every pattern's source into one expression.
        pattern = new RegExp(source)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(source)} is not a regular expression (${(err as Error).message})` })
        return z.NEVER
      }
      if (pattern.test('')) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(source)} matches the empty string, so it would redact between every character` })
        return z.NEVER
      }
      patterns.push(pattern)
    }
    return patterns
  })

/** Comma-separated HTTP header names, trimmed and lower-cased; empty entries are ignored. */
const headerNameList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const names = (value ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
    const invalid = names.find((name) => !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))
    if (invalid !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(invalid)} is not an HTTP header name` })
      return z.NEVER
    }
    return names
  })

export const OPTIONS = {
  port: { env: 'PORT', help: 'Port for the proxy, the GraphQL API and the dashboard.', defaultText: '3001', schema: z.coerce.number().int().min(0).max(65535).default(3001) },
  host: { env: 'HOST', help: 'Address to bind. Anything but loopback requires DASHBOARD_TOKEN.', defaultText: '127.0.0.1', schema: z.string().min(1).default('127.0.0.1') },
  dataDir: { env: 'DATA_DIR', help: 'Where the embedded database, the capture spool and the install secret live.', defaultText: './data', schema: z.string().min(1).default('./data') },
  databaseUrl: { env: 'DATABASE_URL', help: 'PostgreSQL connection URL. Unset: embedded PGlite in DATA_DIR/pglite.', schema: optionalText },
  forwardUrl: { env: 'ANTHROPIC_FORWARD_URL', help: 'Upstream Anthropic API base URL.', defaultText: 'https://api.anthropic.com', schema: url('https://api.anthropic.com') },
  responseHeaderTimeoutS: { env: 'ANTHROPIC_RESPONSE_HEADER_TIMEOUT', help: 'Seconds to wait for upstream response headers (504 after).', defaultText: '300', schema: seconds(300) },
  streamIdleTimeoutS: { env: 'STREAM_IDLE_TIMEOUT', help: 'Seconds a response body may stay silent before it is cut. Streams have no total limit.', defaultText: '600', schema: seconds(600) },
  demoteNonStreaming: { env: 'ANTHROPIC_DEMOTE_NONSTREAMING', help: 'Send non-streaming POST /v1/messages upstream as streams and answer the client with the accumulated JSON message, so long answers never hit the header timeout (1/true/yes/on).', defaultText: 'off', schema: flag },
  maxBodyBytes: { env: 'MAX_BODY_BYTES', help: 'Largest request body accepted on /v1/* (413 beyond).', defaultText: '67108864 (64 MiB)', schema: bytes(64 * 1024 * 1024) },
  dashboardToken: { env: 'DASHBOARD_TOKEN', help: 'Bearer token guarding /graphql, the dashboard and /metrics. Required when HOST is not loopback.', schema: optionalText },
  proxyToken: { env: 'PROXY_TOKEN', help: 'If set, /v1/* requires the header x-claudescope-token with this value.', schema: optionalText },
  redactPatterns: { env: 'REDACT_PATTERNS', help: 'Regular expressions (JavaScript syntax, separated by commas; write a comma inside one as \\,) whose matches in request and response bodies are stored as redacted:<fingerprint>, the same secret always the same fingerprint. Unset: bodies are stored as forwarded.', schema: regexList },
  redactHeaders: { env: 'REDACT_HEADERS', help: 'More header names (comma-separated, any case) whose values are stored as key:<fingerprint>, besides the built-in credential headers (x-api-key, authorization, proxy-authorization, cookie, set-cookie, x-claudescope-token, api-key, x-goog-api-key, x-amz-security-token).', schema: headerNameList },
  captureQueueMaxItems: { env: 'CAPTURE_QUEUE_MAX_ITEMS', help: 'Capture queue bound in records; past it (and the spool) records are dropped and counted.', defaultText: '10000', schema: bytes(10_000) },
  captureQueueMaxBytes: { env: 'CAPTURE_QUEUE_MAX_BYTES', help: 'Capture queue bound in bytes of bodies held in memory; past it records go to the disk spool.', defaultText: '67108864 (64 MiB)', schema: bytes(64 * 1024 * 1024) },
  captureBatchMaxItems: { env: 'CAPTURE_BATCH_MAX_ITEMS', help: 'Most records written in one database transaction.', defaultText: '200', schema: bytes(200) },
  captureBatchMaxBytes: { env: 'CAPTURE_BATCH_MAX_BYTES', help: 'Most bytes of records written in one database statement (a larger record still goes, alone).', defaultText: '16777216 (16 MiB) on PostgreSQL, 2097152 (2 MiB) on the embedded database', schema: z.coerce.number().int('must be a whole number of bytes').positive('must be positive').optional() },
  spoolMaxBytes: { env: 'SPOOL_MAX_BYTES', help: 'Bound of the disk spool (DATA_DIR/spool) holding records while the database is slow or down; past it records are dropped and counted.', defaultText: '1073741824 (1 GiB)', schema: bytes(1024 * 1024 * 1024) },
  captureSpillAfterMs: { env: 'CAPTURE_SPILL_AFTER_MS', help: 'Milliseconds a database write may hang before capture counts the database as stalled: then records that waited this long in memory go to the disk spool, so a crash loses nothing older (while the database fails, records go to the spool at once).', defaultText: '500', schema: milliseconds(500) },
  drainGraceS: { env: 'DRAIN_GRACE', help: 'Seconds between SIGTERM (when /health turns 503) and refusing new /v1/* work, so load balancers notice first.', defaultText: '5', schema: z.coerce.number().min(0, 'must be 0 or more seconds').default(5) },
  drainTimeoutS: { env: 'DRAIN_TIMEOUT', help: 'Most seconds to wait for in-flight /v1/* exchanges (long streams) before stopping anyway.', defaultText: '1920 (32 min)', schema: seconds(1920) },
  logLevel: { env: 'LOG_LEVEL', help: 'fatal, error, warn, info, debug, trace or silent.', defaultText: 'info', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') },
} satisfies Record<string, OptionSpec<unknown>>

type Options = typeof OPTIONS
export type Config = { [K in keyof Options]: z.output<Options[K]['schema']> } & {
  /** Absolute DATA_DIR. */
  dataDirPath: string
}

/** A configuration problem found at start; `problems` name each variable, what it expects and what it got. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
export const isLoopbackHost = (host: string) => LOOPBACK.has(host) || host.startsWith('127.')

/** Reads and validates the configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = []
  const values: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(OPTIONS) as [string, OptionSpec<unknown>][]) {
    const raw = env[spec.env]
    const parsed = spec.schema.safeParse(raw === '' && key !== 'databaseUrl' ? undefined : raw)
    if (parsed.success) values[key] = parsed.data
    else problems.push(`${spec.env}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(raw)})`)
  }
  const config = values as Config
  if (problems.length === 0 && !isLoopbackHost(config.host) && !config.dashboardToken) {
    problems.push(`DASHBOARD_TOKEN: required when HOST is not loopback (HOST=${config.host}); the dashboard shows every prompt`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  config.dataDirPath = path.resolve(config.dataDir)
  return config
}

/** The text printed by `--help`: every option, its default and its meaning. */
export function helpText(): string {
  const rows = Object.values(OPTIONS as Record<string, OptionSpec<unknown>>).map(
    (o) => `  ${o.env.padEnd(36)}${o.help}${o.defaultText ? ` [default: ${o.defaultText}]` : ''}`,
  )
  return [
    'Claudescope: an observability proxy for Claude Code and the Anthropic API.',
    '',
    'Usage: claudescope [--help]',
    '',
    'Options are environment variables:',
    ...rows,
    '',
    'Point Claude Code at it:  ANTHROPIC_BASE_URL=http://localhost:3001 claude',
  ].join('\n')
}
