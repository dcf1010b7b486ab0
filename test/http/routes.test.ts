import http from 'node:http'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { queryGraphQL } from '../support/graphql-client'
import { startApp, type TestApp } from '../support/start-app'

let app: TestApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(async () => {
  await app?.close()
})

/** A raw request, so the Host header can be anything. */
function rawGet(path: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(app.url)
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      })
      .on('error', reject)
  })
}

/** The status a graphql-ws upgrade on /graphql gets with this Host header (101 when it opens). */
function upgradeStatus(host: string): Promise<number> {
  const ws = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { host } })
  return new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!))
    ws.on('open', () => {
      ws.close()
      resolve(101)
    })
    ws.on('error', () => {})
  })
}

describe('operational routes', () => {
  it('answers /health with healthy and /livez with the in-flight gauge', async () => {
    const health = await fetch(`${app.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'healthy' })
    expect(await (await fetch(`${app.url}/livez`)).json()).toMatchObject({ status: 'ok', in_flight: 0, draining: false })
  })

  it('documents the REST routes in /openapi.json', async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/livez', '/metrics', '/v1/{path}']))
  })

  it('exposes Prometheus metrics whose request counter moves with traffic', async () => {
    const count = async () => {
      const text = await (await fetch(`${app.url}/metrics`)).text()
      return [...text.matchAll(/^claudescope_requests_total\{[^}]*status="COMPLETED"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
    }
    const before = await count()
    await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: '{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}' })
    await expect.poll(count, { timeout: 20_000 }).toBeGreaterThan(before)
    const metricsText = async () => (await fetch(`${app.url}/metrics`)).text()
    const sampleCount = (text: string, name: string) => Number(new RegExp(`^${name}_count (\\d+)`, 'm').exec(text)?.[1] ?? 0)
    // The record reaches the database a little after the response (the writer lingers for company).
    await expect.poll(async () => sampleCount(await metricsText(), 'claudescope_db_write_seconds'), { timeout: 20_000 }).toBeGreaterThan(0)
    const text = await metricsText()
    expect(sampleCount(text, 'claudescope_proxy_overhead_seconds')).toBeGreaterThan(0)
    for (const name of ['claudescope_in_flight', 'claudescope_capture_queue_items', 'claudescope_capture_queue_bytes', 'claudescope_capture_dropped_total', 'claudescope_live_subscribers', 'claudescope_db_write_seconds']) expect(text).toContain(name)
  })

  it('answers unknown API routes with a JSON 404 and unknown pages with the dashboard', async () => {
    const api = await fetch(`${app.url}/api/nothing`, { method: 'POST' })
    expect(api.status).toBe(404)
    expect(await api.json()).toMatchObject({ type: 'error' })
  })
})

describe('the GraphQL health query', () => {
  it('reports draining, in-flight exchanges, the database and capture counters including lost records, also under their deprecated name', async () => {
    const HEALTH = graphql('query Health { health { status draining inFlight database liveSubscribers capture { queueItems queueBytes spoolBytes written lost dropped failedBatches lastWriteMs } } }')
    const read = async () => (await queryGraphQL(app.url, HEALTH)).health
    const before = await read()
    await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: '{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}' })
    await expect.poll(async () => (await read()).capture.written, { timeout: 10_000 }).toBeGreaterThan(before.capture.written)
    const health = await read()
    expect(health).toMatchObject({ status: 'healthy', draining: false, inFlight: 0, capture: { lost: 0, dropped: 0, queueItems: 0 } })
    // Test apps always get a DATABASE_URL (even the PGlite test databases), so they report postgresql.
    expect(health.database).toBe('postgresql')
  })
})

describe('the DNS-rebinding guard on a loopback-bound server', () => {
  it('refuses HTTP requests whose Host is not a loopback name', async () => {
    expect((await rawGet('/health', 'evil.example:3001')).status).toBe(421)
    expect((await rawGet('/health', `localhost:${new URL(app.url).port}`)).status).toBe(200)
  })

  it('refuses HTTP requests whose Host only starts like a loopback address (a rebinding domain)', async () => {
    for (const host of ['127.0.0.1.nip.io', '127.0.0.1.nip.io:3001', '127.x.attacker.example']) {
      expect((await rawGet('/health', host)).status, host).toBe(421)
      expect((await rawGet('/graphql?query=%7B__typename%7D', host)).status, host).toBe(421)
    }
  })

  it('refuses WebSocket upgrades whose Host is not a loopback name', async () => {
    expect(await upgradeStatus('evil.example')).toBe(403)
  })

  it('refuses WebSocket upgrades whose Host only starts like a loopback address, and accepts a loopback one', async () => {
    expect(await upgradeStatus('127.0.0.1.nip.io')).toBe(403)
    expect(await upgradeStatus('127.x.attacker.example:3001')).toBe(403)
    expect(await upgradeStatus(`localhost:${new URL(app.url).port}`)).toBe(101)
  })
})

describe('draining', () => {
  it('refuses new /v1/* work with 503 in the Anthropic envelope once refusing, while /health says draining', async () => {
    // Refusing is one-way, so this test has an app of its own.
    const draining = await startApp()
    try {
      draining.app.lifecycle.draining = true
      draining.app.lifecycle.refuseNewWork()
      const res = await fetch(`${draining.url}/v1/messages`, { method: 'POST', body: '{}' })
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } })
      const health = await fetch(`${draining.url}/health`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'draining' })
    } finally {
      await draining.close()
    }
  })
})
