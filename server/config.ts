import { BlockList, isIP } from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { compileRedactPattern, RedactPatternError, type RedactPattern } from './capture/recording/redact-patterns'
import { loadRoutingConfig, RoutingConfigError, type RoutingConfig } from './routing/routing-config'
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, RETENTION_DAYS_EXPECTED } from './retention/retention-period'

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
/** A retention period in days; unset stays undefined (keep everything). */
const retentionDays = z.coerce
  .number({ error: `must be ${RETENTION_DAYS_EXPECTED}` })
  .int(`must be ${RETENTION_DAYS_EXPECTED}`)
  .min(MIN_RETENTION_DAYS, `must be ${RETENTION_DAYS_EXPECTED}`)
  .max(MAX_RETENTION_DAYS, `must be ${RETENTION_DAYS_EXPECTED}`)
  .optional()
const url = (fallback: string) => z.string().url('must be a URL such as https://api.anthropic.com').default(fallback)
/** Comma-separated RE2 expressions; `\,` is a comma inside one (and still means a comma to the expression). */
const redactPatternList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const patterns: RedactPattern[] = []
    for (const source of value ? value.split(/(?<!\\),/) : []) {
      try {
        patterns.push(compileRedactPattern(source))
      } catch (err) {
        if (!(err instanceof RedactPatternError)) throw err
        ctx.addIssue({ code: 'custom', message: err.message })
        return z.NEVER
      }
    }
    return patterns
  })

/** Comma-separated web origins (`scheme://host[:port]`, nothing more), each checked at start. */
const originList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const origins: string[] = []
    for (const entry of value ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : []) {
      let origin: string | null = null
      try {
        origin = new URL(entry).origin
      } catch {
        // Reported below, like an entry with a path.
      }
      if (origin !== entry) {
        const hint = origin === null || origin === 'null' ? 'e.g. https://app.example.com or http://localhost:5173' : `as browsers send it: ${origin}`
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)} is not an origin: write scheme, host and port only (${hint})` })
        return z.NEVER
      }
      origins.push(origin)
    }
    return origins
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
  demotedStreamMaxBytes: { env: 'DEMOTED_STREAM_MAX_BYTES', help: 'Most bytes of an upstream stream held in memory to build one demoted JSON answer (502 beyond).', defaultText: '268435456 (256 MiB)', schema: bytes(256 * 1024 * 1024) },
  requestReceiveTimeoutS: { env: 'REQUEST_RECEIVE_TIMEOUT', help: 'Seconds a client may take to send request headers, and then again to send a /v1/* request body (408, connection closed). Responses are never bounded by it.', defaultText: '60', schema: seconds(60) },
  maxConnections: { env: 'MAX_CONNECTIONS', help: 'Most client connections open at once (all routes); further connections are closed at once and counted in /metrics.', defaultText: '1024', schema: z.coerce.number().int('must be a whole number of connections').positive('must be positive').default(1024) },
  allowedOrigins: { env: 'ALLOWED_ORIGINS', help: 'Web origins (comma-separated, e.g. https://app.example.com) whose pages may call /v1/* from a browser. Unset: every request carrying Origin or a cross-site Sec-Fetch-Site gets 403; SDKs and Claude Code send neither.', schema: originList },
  dashboardToken: { env: 'DASHBOARD_TOKEN', help: 'Bearer token guarding /graphql, the dashboard and /metrics. Required when HOST is not loopback.', schema: optionalText },
  proxyToken: { env: 'PROXY_TOKEN', help: 'If set, /v1/* requires the header x-claudescope-token with this value.', schema: optionalText },
  redactPatterns: { env: 'REDACT_PATTERNS', help: 'Regular expressions in RE2 syntax (linear time; no back references or lookaround), separated by commas (write a comma inside one as \\,), whose matches in bodies, raw SSE, stream events (a secret split across deltas included), error messages, the query string and header values are stored as redacted:<fingerprint>, the same secret always the same fingerprint. Unset: everything is stored as forwarded.', schema: redactPatternList },
  redactHeaders: { env: 'REDACT_HEADERS', help: 'More header names (comma-separated, any case) whose values are stored as key:<fingerprint>, besides the built-in credential headers (x-api-key, authorization, proxy-authorization, cookie, set-cookie, x-claudescope-token, api-key, x-goog-api-key, x-amz-security-token).', schema: headerNameList },
  captureQueueMaxItems: { env: 'CAPTURE_QUEUE_MAX_ITEMS', help: 'Capture queue bound in records; past it (and the spool) records are lost and counted.', defaultText: '10000', schema: bytes(10_000) },
  captureQueueMaxBytes: { env: 'CAPTURE_QUEUE_MAX_BYTES', help: 'Capture queue bound in bytes of bodies held in memory; past it records go to the disk spool.', defaultText: '8388608 (8 MiB)', schema: bytes(8 * 1024 * 1024) },
  captureBatchMaxItems: { env: 'CAPTURE_BATCH_MAX_ITEMS', help: 'Most records written in one database transaction.', defaultText: '200', schema: bytes(200) },
  captureBatchMaxBytes: { env: 'CAPTURE_BATCH_MAX_BYTES', help: 'Most bytes of records written in one database statement (a larger record still goes, alone).', defaultText: '2097152 (2 MiB)', schema: bytes(2 * 1024 * 1024) },
  spoolMaxBytes: { env: 'SPOOL_MAX_BYTES', help: 'Bound of the disk spool (DATA_DIR/spool) holding records while the database is slow or down; past it records are lost and counted.', defaultText: '1073741824 (1 GiB)', schema: bytes(1024 * 1024 * 1024) },
  captureLingerMs: { env: 'CAPTURE_LINGER_MS', help: 'Milliseconds the capture writer waits, after a record is queued, for more to write in the same database round trip (a full batch goes at once). Each write has a fixed cost on the proxy\'s event loop and in the database: fewer, larger writes leave forwarding more of both.', defaultText: '100', schema: milliseconds(100) },
  captureSpillAfterMs: { env: 'CAPTURE_SPILL_AFTER_MS', help: 'Milliseconds a database write may hang before capture counts the database as stalled (also four times the median of its recent commits, when longer, up to 800 ms): then records that waited this long in memory go to the disk spool, so a crash loses nothing older (while the database fails, records go to the spool at once).', defaultText: '500', schema: milliseconds(500) },
  redisUrl: { env: 'REDIS_URL', help: 'Redis for several instances: live events (subscriptions) published by the instance serving a request reach subscribers on every instance, e.g. redis://10.0.0.5:6379. Unset: this instance alone. Forwarding and capture never wait on it.', schema: z.string().regex(/^rediss?:\/\/./, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379').optional() },
  otelEndpoint: { env: 'OTEL_EXPORTER_OTLP_ENDPOINT', help: 'OpenTelemetry collector (Langfuse, Phoenix, any OTLP/HTTP backend) to send one span per exchange to, in the GenAI semantic conventions, at <endpoint>/v1/traces, e.g. http://localhost:4318. OTEL_EXPORTER_OTLP_HEADERS adds headers (key=value,...). Unset: no export.', schema: z.string().url('must be a URL such as http://localhost:4318').optional() },
  otelProtocol: { env: 'OTEL_EXPORTER_OTLP_PROTOCOL', help: 'http/protobuf or http/json (gRPC is not supported).', defaultText: 'http/protobuf', schema: z.enum(['http/protobuf', 'http/json'], { error: 'must be http/protobuf or http/json (gRPC is not supported)' }).default('http/protobuf') },
  otelServiceName: { env: 'OTEL_SERVICE_NAME', help: 'service.name of the exported spans.', defaultText: 'claudescope', schema: z.string().min(1).default('claudescope') },
  retentionDays: { env: 'RETENTION_DAYS', help: 'Days records are kept: requests that started longer ago (with their stream chunks), and the body parts no kept request uses, are deleted in the background, shortly after start and then hourly. Unset: everything is kept.', schema: retentionDays },
  graderApiKey: { env: 'GRADER_API_KEY', help: "The server's own Anthropic API key, used only to grade prompts on demand (the gradePrompt mutation); clients' keys are never used for it. Unset: grading is refused with a clear error.", schema: optionalText },
  graderModel: { env: 'GRADER_MODEL', help: 'Claude model that grades prompts.', defaultText: 'claude-sonnet-5-5', schema: z.string().min(1).default('claude-sonnet-5-5') },
  drainGraceS: { env: 'DRAIN_GRACE', help: 'Seconds between SIGTERM (when /health turns 503) and refusing new /v1/* work, so load balancers notice first.', defaultText: '5', schema: z.coerce.number().min(0, 'must be 0 or more seconds').default(5) },
  drainTimeoutS: { env: 'DRAIN_TIMEOUT', help: 'Most seconds to wait for in-flight /v1/* exchanges (long streams) before stopping anyway.', defaultText: '1920 (32 min)', schema: seconds(1920) },
  routingConfigFile: { env: 'CLAUDESCOPE_CONFIG', help: 'A YAML file routing chosen models and Claude Code subagents to OpenAI-compatible providers (translated both ways), and serving POST /v1/chat/completions with its provider named openai. Validated at start. Unset: everything goes to Anthropic.', schema: optionalText },
  logLevel: { env: 'LOG_LEVEL', help: 'fatal, error, warn, info, debug, trace or silent.', defaultText: 'info', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') },
} satisfies Record<string, OptionSpec<unknown>>

type Options = typeof OPTIONS
export type Config = { [K in keyof Options]: z.output<Options[K]['schema']> } & {
  /** Absolute DATA_DIR. */
  dataDirPath: string
  /** The validated CLAUDESCOPE_CONFIG file; null when unset. */
  routing: RoutingConfig | null
}

/** A configuration problem found at start; `problems` name each variable, what it expects and what it got. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

/** 127.0.0.0/8 and ::1; node's BlockList also matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`) against the IPv4 range. */
const LOOPBACK_ADDRESSES = new BlockList()
LOOPBACK_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK_ADDRESSES.addAddress('::1', 'ipv6')

/**
 * True for an address or name that can only mean this machine: an IP literal in 127.0.0.0/8, `::1`
 * (any spelling, IPv4-mapped 127.x included), `localhost` or a subdomain of it (RFC 6761 reserves
 * them for loopback). Nothing else: `127.0.0.1.nip.io` is a DNS name anyone can point anywhere.
 * Expects a bare name, without port or brackets.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase()
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const family = isIP(name)
  return family !== 0 && LOOPBACK_ADDRESSES.check(name, family === 4 ? 'ipv4' : 'ipv6')
}

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
  config.routing = null
  if (problems.length === 0 && config.routingConfigFile !== undefined) {
    try {
      config.routing = loadRoutingConfig(config.routingConfigFile)
    } catch (err) {
      if (!(err instanceof RoutingConfigError)) throw err
      problems.push(err.message)
    }
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
