/**
 * The benchmark's upstream: as fast as node:http allows, so what we measure is the proxy.
 * POST /v1/messages answers JSON of the size asked in `x-bench-response-bytes`, or, when the
 * body holds `"stream":true`, `x-bench-events` SSE events `x-bench-interval-ms` apart, each
 * carrying its send time (`"t":<epoch ms, fractional>`) so the client can measure per-event delay.
 * Runs as a child process; prints its port on stdout.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const now = () => performance.timeOrigin + performance.now()
const headers = { 'request-id': 'req_bench', 'anthropic-organization-id': 'org-bench', 'anthropic-ratelimit-requests-limit': '4000', 'anthropic-ratelimit-requests-remaining': '3999' }

function message(padBytes: number): string {
  const text = 'x'.repeat(Math.max(0, padBytes - 300))
  return JSON.stringify({ id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 34, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } })
}

const server = http.createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const stream = body.includes('"stream":true')
    if (!stream) {
      const text = message(Number(req.headers['x-bench-response-bytes'] ?? 600))
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    const events = Number(req.headers['x-bench-events'] ?? 100)
    const intervalMs = Number(req.headers['x-bench-interval-ms'] ?? 5)
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    res.write(`event: message_start\ndata: {"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}\n\n`)
    res.write(`event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`)
    let sent = 0
    const timer = setInterval(() => {
      if (sent < events) {
        sent++
        res.write(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token ${sent} "},"t":${now()}}\n\n`)
        return
      }
      clearInterval(timer)
      res.write(`event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`)
      res.write(`event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${events}}}\n\n`)
      res.end(`event: message_stop\ndata: {"type":"message_stop"}\n\n`)
    }, intervalMs)
    res.on('close', () => clearInterval(timer))
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`))
