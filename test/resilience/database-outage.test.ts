/**
 * C4 end to end: the database goes away under steady SDK traffic; forwarding must not notice, and
 * every record must be in the database exactly once when it comes back.
 */
import { Client } from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { findPostgresBin, startPgCluster } from '../support/pg-cluster'
import { startApp, waitFor, type TestApp } from '../support/start-app'
import { createTestDatabase } from '../support/test-database'
import { startSteadyLoad } from './steady-load'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function storedUpstreamIds(databaseUrl: string): Promise<Map<string, number>> {
  const client = new Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: string; n: number }>(`SELECT upstream_request_id AS id, count(*)::int AS n FROM requests WHERE status = 'COMPLETED' GROUP BY 1`)
    return new Map(rows.map((r) => [r.id, r.n]))
  } finally {
    await client.end()
  }
}

/** Drives load through `app` while `outage` runs, then checks nothing was lost or doubled. */
async function survives(app: TestApp, databaseUrl: string, outage: () => Promise<void>): Promise<void> {
  const load = startSteadyLoad(app.url, { concurrency: 4, pauseMs: 100 })
  await waitFor(() => load.succeeded >= 20, 'traffic to flow before the outage', 20_000)
  let peakQueueBytes = 0
  let peakSpoolBytes = 0
  const sampler = setInterval(() => {
    const stats = app.app.capture.stats()
    peakQueueBytes = Math.max(peakQueueBytes, stats.queueBytes)
    peakSpoolBytes = Math.max(peakSpoolBytes, stats.spoolBytes)
  }, 100)
  try {
    const before = load.succeeded
    await outage()
    expect(load.succeeded - before).toBeGreaterThan(50) // traffic kept flowing during the outage
    await waitFor(() => load.succeeded >= before + 60, 'traffic after the outage', 20_000)
  } finally {
    clearInterval(sampler)
  }
  const report = await load.stop()
  expect(report.failed).toEqual([])

  await waitFor(async () => {
    const stats = app.app.capture.stats()
    return stats.spoolBytes === 0 && stats.queueDepth === 0 && (await storedUpstreamIds(databaseUrl)).size >= app.upstream.requests.length
  }, 'the spool to drain into the database', 60_000)
  const stored = await storedUpstreamIds(databaseUrl)
  const sent = app.upstream.requests.map((r) => r.requestId)
  expect(sent.filter((id) => stored.get(id) !== 1)).toEqual([])
  expect(stored.size).toBe(sent.length)
  expect(app.app.capture.stats().dropped).toBe(0)
  expect(peakSpoolBytes).toBeGreaterThan(0)
  // Memory stays bounded: while the database is away, records go to disk, not to the queue.
  expect(peakQueueBytes).toBeLessThan(8 * 1024 * 1024)
}

describe('a database outage under steady traffic', () => {
  it.runIf(findPostgresBin() !== null)('loses and doubles nothing when PostgreSQL stops for 30 s, and the spool drains when it returns', async () => {
    const cluster = await startPgCluster()
    cleanups.push(() => cluster.destroy())
    const app = await startApp({ databaseUrl: cluster.url })
    cleanups.push(() => app.close())
    await survives(app, cluster.url, async () => {
      await cluster.stop()
      await new Promise((r) => setTimeout(r, 30_000))
      await cluster.start()
    })
  }, 180_000)

  it('loses and doubles nothing when the embedded database hangs for 15 s', async () => {
    const database = await createTestDatabase()
    cleanups.push(() => database.drop())
    if (database.pid === undefined) throw new Error('this test needs an embedded database (the server:pglite project)')
    const app = await startApp({ databaseUrl: database.url })
    cleanups.push(() => app.close())
    await survives(app, database.url, async () => {
      process.kill(database.pid!, 'SIGSTOP')
      try {
        await new Promise((r) => setTimeout(r, 15_000))
      } finally {
        process.kill(database.pid!, 'SIGCONT')
      }
    })
  }, 180_000)
})
