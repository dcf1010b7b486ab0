import { createHash } from 'node:crypto'
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { closeServer, listen, rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

const STREAM_BODY = '{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}'

describe('streaming', () => {
  let upstream: MockUpstream
  let running: RunningProxy
  let observer: RecordingObserver

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer })
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it('relays SSE byte for byte and hands the observer the very bytes it wrote', async () => {
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'stream-thinking'], body: STREAM_BODY })
    const observed = await observer.ended()

    const sent = upstream.sentBody(upstream.requests[0])
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(response.body.equals(sent)).toBe(true)
    expect(Buffer.concat(observed.chunks.map((c) => c.chunk)).equals(sent)).toBe(true)
    expect(observed.end.kind).toBe('completed')
  })

  it('relays each upstream read unchanged when an event is split across reads', async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: [MOCK_HEADERS.scenario, 'stream-text', MOCK_HEADERS.chunkBytes, '7', MOCK_HEADERS.delayMs, '2'],
      body: STREAM_BODY,
    })

    const { chunks } = upstream.requests[0].response
    expect(chunks.length).toBeGreaterThan(20)
    expect(response.reads.map((r) => r.toString('hex'))).toEqual(chunks.map((c) => c.toString('hex')))
  })

  it('delivers the first event while the upstream stream is still running', async () => {
    const firstRead = await new Promise<{ read: Buffer; upstreamWrites: number; upstreamFinished: boolean }>((resolve, reject) => {
      const req = request(`${running.url}/v1/messages`, { method: 'POST', headers: { [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '100' } }, (res) => {
        res.once('data', (read: Buffer) => {
          const exchange = upstream.requests[0]
          resolve({ read, upstreamWrites: exchange.response.chunks.length, upstreamFinished: exchange.response.finished })
          res.resume()
        })
      })
      req.on('error', reject)
      req.end(STREAM_BODY)
    })

    expect(firstRead.read.toString()).toMatch(/^event: message_start\n/)
    expect(firstRead.upstreamWrites).toBe(1)
    expect(firstRead.upstreamFinished).toBe(false)
    expect((await observer.ended()).end.kind).toBe('completed')
  })

  it('times chunks from the start of the exchange, in arrival order', async () => {
    await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'slow-stream', MOCK_HEADERS.delayMs, '20'], body: STREAM_BODY })
    const observed = await observer.ended()

    const offsets = observed.chunks.map((c) => c.offsetMs)
    expect(observed.response!.offsetMs).toBeGreaterThan(0)
    expect(offsets[0]).toBeGreaterThanOrEqual(observed.response!.offsetMs)
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets)
    expect(offsets.at(-1)! - offsets[0]).toBeGreaterThanOrEqual(15 * (offsets.length - 1))
    expect(observed.end.offsetMs).toBeGreaterThanOrEqual(offsets.at(-1)!)
  })
})

describe('streaming from a raw upstream', () => {
  it('sends the response headers to the client before upstream writes any body byte', async () => {
    let writeBody: () => void = () => {}
    const upstream = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.flushHeaders()
      writeBody = () => res.end('event: ping\ndata: {"type": "ping"}\n\n')
    })
    const running = await startProxy({ forwardUrl: await listen(upstream) })
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${running.url}/v1/messages`, { method: 'POST' }, (res) => {
          // Only now may upstream send the body: a proxy waiting for it to send headers would hang here.
          const parts: Buffer[] = []
          res.on('data', (part: Buffer) => parts.push(part))
          res.on('end', () => resolve(Buffer.concat(parts).toString()))
          writeBody()
        })
        req.on('error', reject)
        req.end(STREAM_BODY)
      })

      expect(body).toBe('event: ping\ndata: {"type": "ping"}\n\n')
    } finally {
      await running.close()
      await closeServer(upstream)
    }
  })

  it('pauses upstream while the client reads nothing, then relays every byte once it reads', async () => {
    const totalBytes = 96 * 1024 * 1024
    const piece = Buffer.alloc(64 * 1024, 'x')
    let written = 0
    let blocked = false
    const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const pump = () => {
        blocked = false
        while (written < totalBytes) {
          written += piece.length
          if (!res.write(piece)) {
            blocked = true
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
    })
    const running = await startProxy({ forwardUrl: await listen(upstream) })
    try {
      const hash = createHash('sha256')
      let received = 0
      let writtenWhilePaused = 0
      let blockedWhilePaused = false
      await new Promise<void>((resolve, reject) => {
        const req = request(`${running.url}/v1/files/big`, { method: 'GET' }, (res) => {
          res.pause()
          res.on('error', reject)
          // Upstream blocks once the socket buffers between it and the paused client are full (about
          // 8 MiB on loopback). A proxy that kept reading upstream into memory would let it write
          // on (tens of MiB in this window), so watch for a while how far it gets.
          setTimeout(() => {
            writtenWhilePaused = written
            blockedWhilePaused = blocked
            res.on('data', (read: Buffer) => {
              received += read.length
              hash.update(read)
            })
            res.on('end', resolve)
            res.resume()
          }, 800)
        })
        req.on('error', reject)
        req.end()
      })

      expect(blockedWhilePaused).toBe(true)
      expect(writtenWhilePaused).toBeLessThan(16 * 1024 * 1024)

      expect(received).toBe(totalBytes)
      const expected = createHash('sha256')
      for (let i = 0; i < totalBytes / piece.length; i++) expected.update(piece)
      expect(hash.digest('hex')).toBe(expected.digest('hex'))
    } finally {
      await running.close()
      await closeServer(upstream)
    }
  })
})
