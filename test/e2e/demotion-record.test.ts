/**
 * Demotion (ANTHROPIC_DEMOTE_NONSTREAMING) as capture records it: what the client sent and got,
 * flagged as demoted, not the stream request the proxy sent upstream in its place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { queryGraphQL } from '../support/graphql-client'
import { startApp, type TestApp } from '../support/start-app'

let app: TestApp
beforeAll(async () => {
  app = await startApp({ env: { ANTHROPIC_DEMOTE_NONSTREAMING: '1' } })
})
afterAll(() => app?.close())

const STORED = graphql('query StoredRequest($id: ID!) { request(id: $id) { stream demoted requestBodyText responseBodyText status } }')
type Stored = NonNullable<ResultOf<typeof STORED>['request']>

async function storedOf(upstreamRequestId: string): Promise<Stored> {
  await app.app.capture.flush()
  const [row] = (await app.app.dataSource.query('SELECT id FROM requests WHERE upstream_request_id = $1', [upstreamRequestId])) as { id: string }[]
  return (await queryGraphQL(app.url, STORED, { id: row!.id })).request!
}

describe('a demoted request as recorded', () => {
  it('stores the client’s own body with stream false, flagged demoted, and the Message it got as the response', async () => {
    // Spacing and key order of the client's bytes, which no rewrite would keep.
    const clientBytes = `{ "max_tokens": 32,  "model": "${DEFAULT_MODEL}", "messages": [{"role": "user", "content": "hi"}] }`
    const res = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-demoted', 'anthropic-version': '2023-06-01' }, body: clientBytes })
    expect(res.status).toBe(200)
    const message = (await res.json()) as { type: string; content: unknown }
    const [received] = await app.upstream.waitForRequests(1)
    expect(received!.body.toString()).not.toBe(clientBytes) // upstream was asked for a stream

    const stored = await storedOf(received!.requestId)
    expect(stored).toMatchObject({ stream: false, demoted: true, requestBodyText: clientBytes, status: 'COMPLETED' })
    expect(JSON.parse(stored.responseBodyText!)).toEqual(message)
  })

  it('leaves a request the client streamed itself unflagged', async () => {
    const body = JSON.stringify({ model: DEFAULT_MODEL, max_tokens: 32, stream: true, messages: [{ role: 'user', content: 'hi' }] })
    const res = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-demoted', 'anthropic-version': '2023-06-01' }, body })
    await res.text()
    const received = (await app.upstream.waitForRequests(2))[1]!
    expect(await storedOf(received.requestId)).toMatchObject({ stream: true, demoted: false, requestBodyText: body })
  })
})
