import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createGraphQLWsServer, type GraphQLWsServer } from '../../server/graphql/graphql-ws-glue'
import { createLogger } from '../../server/logger'

const opened: { server: http.Server; ws: GraphQLWsServer }[] = []
afterEach(async () => {
  for (const { server, ws } of opened.splice(0)) {
    await ws.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

/** A plain HTTP server whose every upgrade goes to the glue; no schema is needed to connect. */
async function serve(keepAliveMs: number): Promise<{ url: string; ws: GraphQLWsServer }> {
  const ws = createGraphQLWsServer({ server: { schema: undefined }, logger: createLogger('silent'), maxMessageBytes: 1024, keepAliveMs })
  const server = http.createServer()
  server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  opened.push({ server, ws })
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, ws }
}

function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws', options)
  socket.on('error', () => undefined)
  return new Promise((resolve, reject) => socket.once('open', () => resolve(socket)).once('unexpected-response', reject))
}

const closeCode = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))

describe('graphql-ws glue', () => {
  it('cuts a socket that does not answer a keep-alive ping by the next one', async () => {
    const { url } = await serve(20)
    const socket = await connect(url, { autoPong: false })
    let pings = 0
    socket.on('ping', () => pings++)

    expect(await closeCode(socket)).toBe(1006)
    expect(pings).toBeGreaterThan(0)
  })

  it('closes every socket with 1001 (going away) when it is closed', async () => {
    const { url, ws } = await serve(60_000)
    const socket = await connect(url)
    const closed = closeCode(socket)

    await ws.close()

    expect(await closed).toBe(1001)
  })

  it('closes a socket with 1009 when a frame exceeds its message bound', async () => {
    const { url } = await serve(60_000)
    const socket = await connect(url)
    const closed = closeCode(socket)

    socket.send(Buffer.alloc(2048, 'x'))

    expect(await closed).toBe(1009)
  })
})
