import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpHttpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import type { LiveBus } from '../live/live-bus'
import type { Logger } from '../logger'
import { genAiSpanOf } from './genai-span'

export type OtlpProtocol = 'http/protobuf' | 'http/json'

export interface SpanExportOptions {
  /** The collector's base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  endpoint: string
  protocol: OtlpProtocol
  serviceName: string
  bus: LiveBus
  logger: Logger
  /** Most milliseconds a span waits to be sent with others. @default the SDK's (OTEL_BSP_SCHEDULE_DELAY, else 5 s) */
  scheduledDelayMillis?: number
}

export interface SpanExport {
  /** Sends the spans still waiting, then stops. */
  close(): Promise<void>
}

/**
 * Exports one span per exchange this instance served, once it ended, to an OTLP collector. Spans
 * are built from the live bus's events, off the forwarding path, and sent in batches; a collector
 * that is down costs dropped spans (the SDK logs them), never a slower proxy.
 */
export function startSpanExport(options: SpanExportOptions): SpanExport {
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`
  const exporter = options.protocol === 'http/json' ? new OtlpHttpJsonExporter({ url }) : new OtlpHttpProtobufExporter({ url })
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(options.scheduledDelayMillis === undefined ? {} : { scheduledDelayMillis: options.scheduledDelayMillis }) })],
  })
  const tracer = provider.getTracer('claudescope')
  const ended = options.bus.subscribe((event) => event.kind === 'request' && event.record.status !== 'IN_FLIGHT', { internal: true, localOnly: true, kinds: ['request'] })
  const pump = (async () => {
    for await (const event of ended) {
      if (event.kind !== 'request') continue
      const span = genAiSpanOf(event.record)
      const otelSpan = tracer.startSpan(span.name, { kind: SpanKind.CLIENT, startTime: span.startTime, attributes: span.attributes })
      if (span.error !== null) otelSpan.setStatus({ code: SpanStatusCode.ERROR, message: span.error })
      otelSpan.end(span.endTime)
    }
  })()
  options.logger.info({ endpoint: url, protocol: options.protocol }, 'exporting a span per exchange over OTLP')
  return {
    async close() {
      // Events already delivered resolve `next()` at once, so the pump takes them all within
      // microtasks: one macrotask later none is left behind when the subscription ends.
      await new Promise((resolve) => setImmediate(resolve))
      await ended.return?.()
      await pump
      await provider.shutdown()
    },
  }
}
