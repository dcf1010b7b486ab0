import type { IncomingMessage, ServerResponse } from 'node:http'
import { version } from '../../package.json'

const anthropicError = {
  type: 'object',
  required: ['type', 'error'],
  properties: {
    type: { const: 'error' },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: {
        type: { type: 'string', examples: ['api_error', 'timeout_error', 'request_too_large', 'overloaded_error', 'authentication_error'] },
        message: { type: 'string' },
      },
    },
  },
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/AnthropicError' } } } })

const proxyOperation = {
  summary: 'Pass-through to the Anthropic API',
  description:
    'Forwarded to ANTHROPIC_FORWARD_URL with method, path, query string, body bytes and end-to-end headers unchanged; the response (status, headers, body, SSE streams) comes back unchanged and is recorded. Other methods (PUT, DELETE, …) are forwarded the same way.',
  parameters: [{ name: 'x-claudescope-token', in: 'header', required: false, schema: { type: 'string' }, description: 'Required when PROXY_TOKEN is set.' }],
  responses: {
    default: { description: "Upstream's response, relayed unchanged" },
    '400': errorResponse('Path whose dot segments leave /v1/'),
    '401': errorResponse('PROXY_TOKEN is set and the header is missing or wrong'),
    '403': errorResponse('Browser request (Origin or cross-site Sec-Fetch-Site) from an origin not in ALLOWED_ORIGINS'),
    '408': errorResponse('Body not received within REQUEST_RECEIVE_TIMEOUT'),
    '413': errorResponse('Body larger than MAX_BODY_BYTES'),
    '502': errorResponse('Upstream unreachable or reset'),
    '503': errorResponse('This instance is draining (also cuts bodies still arriving)'),
    '504': errorResponse('No upstream headers within ANTHROPIC_RESPONSE_HEADER_TIMEOUT'),
  },
}

/** An OTLP/HTTP receiver route (OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port/otlp on Claude Code's side). */
function otlpOperation(signal: string, what: string, message: string) {
  return {
    post: {
      summary: `Claude Code's own telemetry: OTLP/HTTP ${signal}`,
      description: `${what} Body: an OTLP ${message}, application/x-protobuf or application/json, optionally gzip. Refused from browsers (Origin or Sec-Fetch-Site); needs \`Authorization: Bearer <DASHBOARD_TOKEN>\` when a token is set. Answers in the request's encoding.`,
      responses: {
        '200': { description: 'Stored; a partialSuccess names what was not kept' },
        '400': { description: 'Not an OTLP export request: a google.rpc.Status with the reason' },
        '401': { description: 'A dashboard token is set and the request did not carry it' },
        '403': { description: 'Sent by a browser' },
        '413': { description: 'Larger than 16 MiB, compressed or inflated' },
        '415': { description: 'Neither application/json nor application/x-protobuf, or an encoding other than gzip' },
        '503': { description: 'Could not be stored now; retry' },
      },
    },
  }
}

/** The REST surface served as /openapi.json. GraphQL documents itself through `schema.graphql` and introspection. */
const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Claudescope',
    version,
    description: 'Observability proxy for Claude Code and the Anthropic API. Data is queried through GraphQL at /graphql.',
  },
  paths: {
    '/health': {
      get: {
        summary: 'Health for load balancers',
        description: 'Unauthenticated and not counted in flight. Turns 503 as soon as a drain starts, so balancers stop routing here before the process stops.',
        responses: {
          '200': { description: 'Serving', content: { 'application/json': { schema: { $ref: '#/components/schemas/Healthy' } } } },
          '503': { description: 'Draining', content: { 'application/json': { schema: { $ref: '#/components/schemas/Draining' } } } },
        },
      },
    },
    '/livez': {
      get: {
        summary: 'Liveness gauge',
        description: 'Always 200 while the process answers; reports in-flight /v1/* exchanges and the drain flag.',
        responses: { '200': { description: 'Gauge', content: { 'application/json': { schema: { $ref: '#/components/schemas/Livez' } } } } },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        description: 'Needs `Authorization: Bearer <DASHBOARD_TOKEN>` when a dashboard token is set; open otherwise.',
        responses: {
          '200': { description: 'Prometheus text exposition format', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } },
          '401': { description: 'A dashboard token is set and the request did not carry it' },
        },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } },
    },
    '/otlp/v1/logs': otlpOperation('logs', "Claude Code's events (claude_code.user_prompt, api_request, tool_decision, tool_result, ...), stored and joined to the conversations of their session.", 'ExportLogsServiceRequest'),
    '/otlp/v1/metrics': otlpOperation('metrics', "Claude Code's metrics; the number points of sums and gauges are stored, other points are reported as rejected.", 'ExportMetricsServiceRequest'),
    '/v1/chat/completions': {
      post: {
        summary: 'OpenAI Chat Completions pass-through',
        description: 'Sent, with its key, to the provider named openai in the CLAUDESCOPE_CONFIG file and recorded with provider openai; the answer is relayed unchanged. Without such a provider it is forwarded to Anthropic like any /v1 path.',
        responses: { default: { description: "The provider's answer: a chat.completion, a chat.completion.chunk stream, or its error." } },
      },
    },
    '/v1/{path}': {
      parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' }, description: 'Any Anthropic API path, e.g. messages, messages/count_tokens, models.' }],
      get: proxyOperation,
      post: proxyOperation,
    },
  },
  components: {
    schemas: {
      Healthy: { type: 'object', required: ['status', 'timestamp'], properties: { status: { const: 'healthy' }, timestamp: { type: 'string', format: 'date-time' } } },
      Draining: { type: 'object', required: ['status', 'timestamp'], properties: { status: { const: 'draining' }, in_flight: { type: 'integer' }, timestamp: { type: 'string', format: 'date-time' } } },
      Livez: {
        type: 'object',
        required: ['status', 'in_flight', 'draining', 'timestamp'],
        properties: { status: { enum: ['ok', 'draining'] }, in_flight: { type: 'integer' }, draining: { type: 'boolean' }, timestamp: { type: 'string', format: 'date-time' } },
      },
      AnthropicError: anthropicError,
    },
  },
} as const

const body = JSON.stringify(openApiDocument)

export function handleOpenApi(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
