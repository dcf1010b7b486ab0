import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { queryGraphQL } from '../support/graphql-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

/** 100 MiB of text that gzip packs into about 100 KB: far past what capture decodes (64 MiB). */
const BOMB_DECODED_BYTES = 100 * 1024 * 1024
const bomb = gzipSync(Buffer.alloc(BOMB_DECODED_BYTES, 'a'), { level: 9 })

const LATEST_ANSWER = graphql('query LatestAnswer { requests(first: 1) { nodes { status httpStatus error responseBodyText } } }')

describe('a hostile upstream', () => {
  let upstream: http.Server
  let app: TestApp

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    app = await startApp({ forwardUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` })
  })
  afterAll(async () => {
    await app?.close()
    upstream?.closeAllConnections()
    await new Promise((resolve) => upstream?.close(resolve))
  })

  it('relays a gzip bomb to the client as the compressed bytes it is, and records a bounded prefix saying decoding stopped', async () => {
    const response = await request(`${app.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip', 'x-api-key': 'sk-ant-test' },
      body: '{"model":"claude-sonnet-5-5","max_tokens":1,"messages":[{"role":"user","content":"bomb"}]}',
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-encoding']).toBe('gzip')
    expect(Buffer.from(await response.body.arrayBuffer()).equals(bomb)).toBe(true)

    const stored = await waitFor(async () => {
      const data = await queryGraphQL(app.url, LATEST_ANSWER)
      const node = data.requests.nodes[0]
      return node && node.status !== 'IN_FLIGHT' ? node : null
    }, 'the record of the bomb', 30_000)
    expect(stored).toMatchObject({ status: 'COMPLETED', httpStatus: 200, error: expect.stringMatching(/decompression stopped at its limit/) })
    expect(stored.responseBodyText!.length).toBeLessThan(BOMB_DECODED_BYTES)
    expect(stored.responseBodyText).toMatch(/^a+$/)
  })
})
