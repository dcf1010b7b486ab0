import { z } from 'zod'
import { decodeOtlp } from './otlp-protobuf'

/** The two OTLP/HTTP encodings: `application/json` and `application/x-protobuf`. */
export type OtlpEncoding = 'json' | 'protobuf'

/** A body that is not an OTLP export request of the encoding it claims. */
export class MalformedOtlpError extends Error {
  override readonly name = 'MalformedOtlpError'
}

/** An attribute value as JSON holds it: OTLP's AnyValue without its wrapper. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue }
export type Attributes = Record<string, AttributeValue>

/** The encoding a Content-Type names, or null for any other (media type parameters ignored). */
export function encodingOf(contentType: string | undefined): OtlpEncoding | null {
  const media = contentType?.split(';', 1)[0]!.trim().toLowerCase()
  if (media === 'application/json') return 'json'
  if (media === 'application/x-protobuf') return 'protobuf'
  return null
}

/** 64-bit integers: OTLP/JSON allows a decimal string or a number. */
const int64 = z.union([z.string().regex(/^-?\d{1,20}$/), z.number().int()])
type AnyValueInput = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number | string; arrayValue?: { values?: AnyValueInput[] }; kvlistValue?: { values?: KeyValueInput[] }; bytesValue?: string }
type KeyValueInput = { key: string; value?: AnyValueInput }
const anyValue: z.ZodType<AnyValueInput> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: int64.optional(),
    // JSON may spell NaN and infinities as strings.
    doubleValue: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).optional(),
    arrayValue: z.object({ values: z.array(anyValue).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(keyValue).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
)
const keyValue: z.ZodType<KeyValueInput> = z.lazy(() => z.object({ key: z.string(), value: anyValue.optional() }))
const attributeList = z.array(keyValue).optional()
const resource = z.object({ attributes: attributeList }).optional()
const scope = z.object({ name: z.string().optional() }).optional()
const unixNano = int64.optional()

const logsRequest = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource,
        scopeLogs: z
          .array(
            z.object({
              scope,
              logRecords: z
                .array(z.object({ timeUnixNano: unixNano, observedTimeUnixNano: unixNano, body: anyValue.optional(), attributes: attributeList, eventName: z.string().optional() }))
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
})

const numberPoint = z.object({ startTimeUnixNano: unixNano, timeUnixNano: unixNano, asDouble: z.union([z.number(), z.string()]).optional(), asInt: int64.optional(), attributes: attributeList })
const pointList = z.object({ dataPoints: z.array(z.unknown()).optional() }).optional()
const metricsRequest = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource,
        scopeMetrics: z
          .array(
            z.object({
              scope,
              metrics: z
                .array(
                  z.object({
                    name: z.string(),
                    unit: z.string().optional(),
                    gauge: z.object({ dataPoints: z.array(numberPoint).optional() }).optional(),
                    sum: z.object({ dataPoints: z.array(numberPoint).optional(), aggregationTemporality: z.number().int().optional(), isMonotonic: z.boolean().optional() }).optional(),
                    histogram: pointList,
                    exponentialHistogram: pointList,
                    summary: pointList,
                  }),
                )
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
})

/** One log record with the attributes of the resource that sent it. */
export interface ReceivedLogRecord {
  resource: Attributes
  timeUnixNano: string | null
  observedTimeUnixNano: string | null
  body: AttributeValue
  attributes: Attributes
  eventName: string | null
}

/** One number data point of a gauge or a sum. */
export interface ReceivedMetricPoint {
  resource: Attributes
  name: string
  unit: string | null
  value: number
  isMonotonic: boolean | null
  /** 1 delta, 2 cumulative (OTLP's AggregationTemporality); null for a gauge. */
  temporality: number | null
  startTimeUnixNano: string | null
  timeUnixNano: string | null
  attributes: Attributes
}

export interface ReceivedMetrics {
  points: ReceivedMetricPoint[]
  /** Histogram, exponential histogram and summary points, and points that are not finite: received, not kept. */
  unsupportedPoints: number
}

function decode(encoding: OtlpEncoding, bytes: Buffer, message: 'ExportLogsServiceRequest' | 'ExportMetricsServiceRequest'): unknown {
  try {
    return encoding === 'json' ? (JSON.parse(bytes.toString('utf8')) as unknown) : decodeOtlp(message, bytes)
  } catch (err) {
    throw new MalformedOtlpError(`the body is not ${encoding === 'json' ? 'JSON' : `a protobuf ${message}`}: ${(err as Error).message}`)
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  let parsed: ReturnType<typeof schema.safeParse>
  try {
    parsed = schema.safeParse(value)
  } catch (err) {
    // A value nested deeper than the stack allows.
    if (err instanceof RangeError) throw new MalformedOtlpError(`not an OTLP ${message}: nested too deeply`)
    throw err
  }
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  throw new MalformedOtlpError(`not an OTLP ${message}: ${issue.path.join('.') || 'the body'}: ${issue.message}`)
}

/** Reads an ExportLogsServiceRequest in either encoding; throws MalformedOtlpError. */
export function readLogsExport(encoding: OtlpEncoding, bytes: Buffer): ReceivedLogRecord[] {
  const request = check(logsRequest, decode(encoding, bytes, 'ExportLogsServiceRequest'), 'ExportLogsServiceRequest')
  return (request.resourceLogs ?? []).flatMap((resourceLogs) => {
    const resourceAttributes = attributesOf(resourceLogs.resource?.attributes)
    return (resourceLogs.scopeLogs ?? []).flatMap((scopeLogs) =>
      (scopeLogs.logRecords ?? []).map((record) => ({
        resource: resourceAttributes,
        timeUnixNano: nanos(record.timeUnixNano),
        observedTimeUnixNano: nanos(record.observedTimeUnixNano),
        body: record.body === undefined ? null : valueOf(record.body),
        attributes: attributesOf(record.attributes),
        eventName: record.eventName ? storable(record.eventName) : null,
      })),
    )
  })
}

/** Reads an ExportMetricsServiceRequest in either encoding; throws MalformedOtlpError. */
export function readMetricsExport(encoding: OtlpEncoding, bytes: Buffer): ReceivedMetrics {
  const request = check(metricsRequest, decode(encoding, bytes, 'ExportMetricsServiceRequest'), 'ExportMetricsServiceRequest')
  const points: ReceivedMetricPoint[] = []
  let unsupportedPoints = 0
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const resourceAttributes = attributesOf(resourceMetrics.resource?.attributes)
    for (const metric of (resourceMetrics.scopeMetrics ?? []).flatMap((scopeMetrics) => scopeMetrics.metrics ?? [])) {
      unsupportedPoints += [metric.histogram, metric.exponentialHistogram, metric.summary].reduce((n, list) => n + (list?.dataPoints?.length ?? 0), 0)
      const numbers = metric.sum ?? metric.gauge
      for (const point of numbers?.dataPoints ?? []) {
        const value = point.asInt !== undefined ? Number(point.asInt) : Number(point.asDouble ?? 0)
        if (!Number.isFinite(value)) {
          unsupportedPoints++
          continue
        }
        points.push({
          resource: resourceAttributes,
          name: storable(metric.name),
          unit: metric.unit ? storable(metric.unit) : null,
          value,
          isMonotonic: metric.sum ? (metric.sum.isMonotonic ?? false) : null,
          temporality: metric.sum ? (metric.sum.aggregationTemporality ?? 0) : null,
          startTimeUnixNano: nanos(point.startTimeUnixNano),
          timeUnixNano: nanos(point.timeUnixNano),
          attributes: attributesOf(point.attributes),
        })
      }
    }
  }
  return { points, unsupportedPoints }
}

/** A time in nanoseconds since the epoch, as a decimal string; null when absent or 0 (unset). */
const nanos = (value: string | number | undefined): string | null => (value === undefined || String(value) === '0' ? null : String(value))

/** Deepest attribute value kept: Claude Code's are flat, and the database has a stack of its own. */
const MAX_VALUE_DEPTH = 32

function attributesOf(list: KeyValueInput[] | undefined, depth = 0): Attributes {
  const attributes: Attributes = {}
  for (const { key, value } of list ?? []) attributes[storable(key)] = value === undefined ? null : valueOf(value, depth)
  return attributes
}

/** An AnyValue as plain JSON: 64-bit integers as numbers when exact, else as their decimal text. */
function valueOf(value: AnyValueInput, depth = 0): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) throw new MalformedOtlpError(`an attribute value is nested deeper than ${MAX_VALUE_DEPTH} levels`)
  if (value.stringValue !== undefined) return storable(value.stringValue)
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) {
    const n = Number(value.intValue)
    return Number.isSafeInteger(n) ? n : String(value.intValue)
  }
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map((item) => valueOf(item, depth + 1))
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values, depth + 1)
  if (value.bytesValue !== undefined) return value.bytesValue
  return null
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * PostgreSQL's text and jsonb hold neither U+0000 nor half a surrogate pair: the first goes, the
 * second becomes U+FFFD, so one odd value cannot fail a whole export.
 */
const storable = (s: string): string => s.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD')
