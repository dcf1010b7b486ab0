import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { drain } from '../../server/http/drain'
import { createLogger } from '../../server/logger'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { queryGraphQL } from '../support/graphql-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

let app: TestApp | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const TOKEN = 'edge-token'
const MESSAGE = '{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}'

const FAILED_REQUESTS = graphql('query FailedRequests { requests(first: 50, filter: { statuses: [FAILED] }) { nodes { status httpStatus errorCode error path } } }')
type StoredRefusal = ResultOf<typeof FAILED_REQUESTS>['requests']['nodes'][number]

async function storedFailures(url: string): Promise<StoredRefusal[]> {
  const data = await queryGraphQL(url, FAILED_REQUESTS)
  return data.requests.nodes
}

/** A raw connection: sends `text`, resolves with everything received once the server closes it. */
function sendRaw(url: string, text: string): { socket: net.Socket; answer: Promise<string> } {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1')
  socket.write(text)
  let received = ''
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')))
  socket.on('error', () => {})
  return { socket, answer: new Promise((resolve) => socket.on('close', () => resolve(received))) }
}

const stalledPost = (url: string) =>
  `POST /v1/messages HTTP/1.1\r\nhost: ${new URL(url).host}\r\nx-claudescope-token: ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":`

describe('requests the proxy refuses', () => {
  it('records each refusal once as FAILED with its code and status, and answers the client as before', async () => {
    app = await startApp({ env: { PROXY_TOKEN: TOKEN, MAX_BODY_BYTES: '1024', REQUEST_RECEIVE_TIMEOUT: '0.3' } })
    const url = app.url
    const post = (headers: Record<string, string>, body = MESSAGE, path = '/v1/messages') =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

    expect((await post({})).status).toBe(401)
    expect((await post({ 'x-claudescope-token': TOKEN }, 'x'.repeat(4096))).status).toBe(413)
    const fromPage = await post({ 'x-claudescope-token': TOKEN, origin: 'https://evil.example' })
    expect(fromPage.status).toBe(403)
    expect(await fromPage.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } })
    const escaping = await sendRaw(url, `GET /v1/%2e%2e/admin HTTP/1.1\r\nhost: ${new URL(url).host}\r\nx-claudescope-token: ${TOKEN}\r\nconnection: close\r\n\r\n`).answer
    expect(escaping).toMatch(/^HTTP\/1\.1 400 /)
    expect(await sendRaw(url, stalledPost(url)).answer).toMatch(/^HTTP\/1\.1 408 /)
    app.app.lifecycle.refuseNewWork()
    expect((await post({ 'x-claudescope-token': TOKEN })).status).toBe(503)

    const expected = [
      ['PROXY_UNAUTHORIZED', 401],
      ['BODY_TOO_LARGE', 413],
      ['ORIGIN_FORBIDDEN', 403],
      ['PATH_OUTSIDE_API', 400],
      ['REQUEST_RECEIVE_TIMEOUT', 408],
      ['DRAINING', 503],
    ] as const
    const records = await waitFor(async () => {
      const rows = await storedFailures(url)
      return rows.length >= expected.length && rows
    }, 'a record of every refusal')
    expect(records).toHaveLength(expected.length)
    for (const [code, status] of expected) {
      const record = records.find((r) => r.errorCode === code)
      expect(record, code).toMatchObject({ status: 'FAILED', httpStatus: status })
      expect(record!.error, code).toContain(`${status} ${code}`)
    }
    expect(app.upstream.requests).toHaveLength(0)
  })
})

describe('connections and slow clients', () => {
  it('refuses the connection past MAX_CONNECTIONS, counts it, and serves again once one closes', async () => {
    app = await startApp({ env: { MAX_CONNECTIONS: '2' } })
    const url = app.url
    const keepAlive = `GET /livez HTTP/1.1\r\nhost: ${new URL(url).host}\r\n\r\n`
    const held = [sendRaw(url, keepAlive), sendRaw(url, keepAlive)]
    await waitFor(async () => (await new Promise<number>((resolve) => app!.app.server.getConnections((_e, n) => resolve(n)))) === 2, 'two connections held')

    const refused = await sendRaw(url, keepAlive).answer
    expect(refused).toBe('')

    held[0].socket.destroy()
    await held[0].answer
    await waitFor(async () => (await new Promise<number>((resolve) => app!.app.server.getConnections((_e, n) => resolve(n)))) < 2, 'a connection to close')
    const metrics = await (await fetch(`${url}/metrics`, { headers: { connection: 'close' } })).text()
    expect(metrics).toMatch(/^claudescope_connections_refused_total 1$/m)
    held[1].socket.destroy()
  })

  it('answers 408 and closes the connection when the request headers never finish within REQUEST_RECEIVE_TIMEOUT', async () => {
    app = await startApp({ env: { REQUEST_RECEIVE_TIMEOUT: '0.3' } })
    const answer = await sendRaw(app.url, `POST /v1/messages HTTP/1.1\r\nhost: ${new URL(app.url).host}\r\nx-api-key: sk-`).answer
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('finishes draining while a request body is stalled, answering that request 503', async () => {
    app = await startApp({ env: { PROXY_TOKEN: TOKEN } })
    const stalled = sendRaw(app.url, stalledPost(app.url))
    await waitFor(() => app!.app.proxy.inFlight === 1, 'the stalled request to reach the proxy')

    const drained = await drain({ lifecycle: app.app.lifecycle, graceMs: 0, timeoutMs: 30_000, logger: createLogger('silent') })

    expect(drained).toBe(true)
    expect(await stalled.answer).toMatch(/^HTTP\/1\.1 503 /)
  })
})
