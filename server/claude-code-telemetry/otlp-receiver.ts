import type { IncomingMessage, ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import { isAuthorized } from '../graphql/dashboard-auth'
import type { Logger } from '../logger'
import { ProxyError } from '../proxy/proxy-errors'
import { readBody } from '../proxy/read-body'
import { eventOfLogRecord, metricPointRow, type ClaudeCodeEventRow } from './claude-code-event'
import { encodeOtlp, type OtlpMessageName } from './otlp-protobuf'
import { encodingOf, MalformedOtlpError, readLogsExport, readMetricsExport, type OtlpEncoding } from './otlp-payload'
import type { TelemetryWriter } from './telemetry-writer'

const inflate = promisify(gunzip)

/** Where Claude Code's exporter posts when OTEL_EXPORTER_OTLP_ENDPOINT is http://host:port/otlp. */
export const OTLP_PATH_PREFIX = '/otlp/'
const LOGS_PATH = '/otlp/v1/logs'
const METRICS_PATH = '/otlp/v1/metrics'

/**
 * Largest export accepted, compressed or inflated. Claude Code's batches are a few hundred small
 * records (its exporter's default batch is 512), far below this; the bound keeps a hostile body
 * from holding memory.
 */
export const OTLP_MAX_BODY_BYTES = 16 * 1024 * 1024

/** google.rpc.Code values OTLP answers carry. */
const INVALID_ARGUMENT = 3
const UNAUTHENTICATED = 16
const PERMISSION_DENIED = 7
const UNAVAILABLE = 14

export interface OtlpReceiverOptions {
  writer: TelemetryWriter
  /** DASHBOARD_TOKEN: when set, an export must carry it (OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer …"). */
  dashboardToken?: string
  /** Largest body accepted, compressed or once inflated (413 beyond). */
  maxBodyBytes: number
  /** Longest a body may take to arrive (408 after). */
  receiveTimeoutMs: number
  logger: Logger
}

/**
 * The OTLP/HTTP receiver for Claude Code's own telemetry: logs (its events) and metrics, JSON or
 * protobuf, gzip or not. Never on the proxy's path: it reads, parses and inserts one export at a
 * time, answering once the rows are stored so an exporter retries what was not (503).
 *
 * A web page must not be able to write here: browsers mark every request they make with `Origin`
 * or `Sec-Fetch-Site`, and exporters send neither, so either header is refused; a JSON or protobuf
 * body from a page would need a preflight anyway, and no route answers one.
 */
export function createOtlpReceiver(options: OtlpReceiverOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { writer, dashboardToken, logger } = options
  return async (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0]
    const signal = path === LOGS_PATH ? 'logs' : path === METRICS_PATH ? 'metrics' : null
    if (signal === null) return sendStatus(res, 404, 'json', INVALID_ARGUMENT, `No OTLP endpoint at ${path}: Claudescope receives ${LOGS_PATH} and ${METRICS_PATH}`)
    if (req.method !== 'POST') return sendStatus(res, 405, 'json', INVALID_ARGUMENT, `${path} takes POST only`, { allow: 'POST' })
    if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined) {
      return sendStatus(res, 403, 'json', PERMISSION_DENIED, 'Telemetry is not accepted from a browser (the request carried Origin or Sec-Fetch-Site)')
    }
    if (!isAuthorized(req.headers.authorization, dashboardToken)) {
      return sendStatus(res, 401, 'json', UNAUTHENTICATED, 'Missing or wrong DASHBOARD_TOKEN: set OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <token>"', { 'www-authenticate': 'Bearer realm="claudescope"' })
    }
    const encoding = encodingOf(req.headers['content-type'])
    if (encoding === null) return sendStatus(res, 415, 'json', INVALID_ARGUMENT, `OTLP/HTTP takes content-type application/json or application/x-protobuf (got ${req.headers['content-type'] ?? 'none'})`)
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
    if (contentEncoding !== 'identity' && contentEncoding !== 'gzip') return sendStatus(res, 415, encoding, INVALID_ARGUMENT, `content-encoding ${contentEncoding} is not supported (gzip or none)`)

    let body: Buffer | null
    try {
      body = await readBody(req, { maxBytes: options.maxBodyBytes, timeoutMs: options.receiveTimeoutMs }).body
      if (body !== null && contentEncoding === 'gzip') body = await inflate(body, { maxOutputLength: options.maxBodyBytes })
    } catch (err) {
      if (err instanceof ProxyError) return sendStatus(res, err.status, encoding, INVALID_ARGUMENT, err.code === 'BODY_TOO_LARGE' ? `The body is larger than ${options.maxBodyBytes} bytes` : 'The body did not arrive in time', { connection: 'close' })
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return sendStatus(res, 413, encoding, INVALID_ARGUMENT, `The body inflates to more than ${options.maxBodyBytes} bytes`)
      return sendStatus(res, 400, encoding, INVALID_ARGUMENT, `The body is not valid gzip: ${(err as Error).message}`)
    }
    if (body === null) return

    const receivedAt = new Date()
    let stored: () => Promise<void>
    let rejected: number
    let rejection = ''
    try {
      if (signal === 'logs') {
        const events: ClaudeCodeEventRow[] = []
        rejected = 0
        for (const record of readLogsExport(encoding, body)) {
          const event = eventOfLogRecord(record, receivedAt)
          if ('rejected' in event) {
            rejected++
            rejection = event.rejected
          } else events.push(event)
        }
        stored = () => writer.writeEvents(events)
      } else {
        const metrics = readMetricsExport(encoding, body)
        rejected = metrics.unsupportedPoints
        if (rejected > 0) rejection = 'histogram, exponential histogram and summary points, and points that are not finite numbers, are not kept'
        const rows = metrics.points.map((point) => metricPointRow(point, receivedAt))
        stored = () => writer.writeMetricPoints(rows)
      }
    } catch (err) {
      if (err instanceof MalformedOtlpError) return sendStatus(res, 400, encoding, INVALID_ARGUMENT, err.message)
      throw err
    }
    try {
      await stored()
    } catch (err) {
      logger.error({ err, signal }, 'could not store Claude Code telemetry; the exporter will retry')
      return sendStatus(res, 503, encoding, UNAVAILABLE, 'The telemetry could not be stored now; retry later', { 'retry-after': '5' })
    }
    const partialSuccess = rejected === 0 ? undefined : signal === 'logs' ? { rejectedLogRecords: String(rejected), errorMessage: rejection } : { rejectedDataPoints: String(rejected), errorMessage: rejection }
    const answer = partialSuccess === undefined ? {} : { partialSuccess }
    send(res, 200, encoding, signal === 'logs' ? 'ExportLogsServiceResponse' : 'ExportMetricsServiceResponse', answer)
  }
}

/** An OTLP error answer: a google.rpc.Status in the request's encoding. */
function sendStatus(res: ServerResponse, status: number, encoding: OtlpEncoding, code: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, encoding, 'Status', { code, message }, headers)
}

function send(res: ServerResponse, status: number, encoding: OtlpEncoding, message: OtlpMessageName, value: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const body = encoding === 'json' ? Buffer.from(JSON.stringify(value)) : encodeOtlp(message, value)
  res.writeHead(status, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf', 'content-length': body.length, 'cache-control': 'no-store', ...headers }).end(body)
}
