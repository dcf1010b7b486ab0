import { Client } from 'pg'
import { expect } from 'vitest'
import { sdkClient } from './sdk-client'
import { type TestApp } from './start-app'
import { waitFor } from './wait'

export interface LoadReport {
  succeeded: number
  failed: { error: string }[]
}

/**
 * Claude-Code-like traffic through the official SDK: `concurrency` workers alternating streamed
 * and plain Messages calls, each pausing `pauseMs` between calls, until `stop()`.
 */
export function startSteadyLoad(baseURL: string, options: { concurrency: number; pauseMs: number }): { stop(): Promise<LoadReport>; readonly succeeded: number } {
  const client = sdkClient(baseURL, 'sk-ant-load')
  const params = { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'steady' }] }
  const report: LoadReport = { succeeded: 0, failed: [] }
  let running = true
  const worker = async (n: number) => {
    for (let i = 0; running; i++) {
      try {
        if ((i + n) % 2 === 0) await client.messages.create(params)
        else await client.messages.stream(params).finalMessage()
        report.succeeded++
      } catch (err) {
        report.failed.push({ error: String(err) })
      }
      await new Promise((r) => setTimeout(r, options.pauseMs))
    }
  }
  const workers = Array.from({ length: options.concurrency }, (_, n) => worker(n))
  return {
    get succeeded() {
      return report.succeeded
    },
    async stop() {
      running = false
      await Promise.all(workers)
      return report
    },
  }
}

/** Completed records by upstream request id, with how many rows each has. */
export async function storedUpstreamIds(databaseUrl: string): Promise<Map<string, number>> {
  const client = new Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: string; n: number }>(`SELECT upstream_request_id AS id, count(*)::int AS n FROM requests WHERE status = 'COMPLETED' GROUP BY 1`)
    return new Map(rows.map((r) => [r.id, r.n]))
  } finally {
    await client.end()
  }
}

/** A metric of a Prometheus text exposition: its one sample, or the sum of its labelled series (0 when absent). */
export async function metricValue(appUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${appUrl}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  return sum
}

/**
 * Drives steady SDK traffic (about 25 requests/s) through `app` while `outage` runs, then checks
 * Durability: no client request failed, every exchange upstream saw is stored exactly once, the spool
 * drained to zero, nothing was lost, and memory stayed small (records went to disk, not to the
 * queue). Returns the peaks it saw.
 */
export async function survives(app: TestApp, databaseUrl: string, outage: () => Promise<void>): Promise<{ peakQueueBytes: number; peakSpoolBytes: number }> {
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
    return stats.spoolRecords === 0 && stats.queueDepth === 0 && (await storedUpstreamIds(databaseUrl)).size >= app.upstream.requests.length
  }, 'the spool to drain into the database', 60_000)
  const stored = await storedUpstreamIds(databaseUrl)
  const sent = app.upstream.requests.map((r) => r.requestId)
  expect(sent.filter((id) => stored.get(id) !== 1)).toEqual([])
  expect(stored.size).toBe(sent.length)
  const stats = app.app.capture.stats()
  expect(stats).toMatchObject({ lost: 0, spoolBytes: 0, spoolRecords: 0 })
  expect(stats.replayed).toBeGreaterThan(0)
  expect(peakSpoolBytes).toBeGreaterThan(0)
  // Memory stays bounded: while the database is away, records go to disk, not to the queue.
  expect(peakQueueBytes).toBeLessThan(8 * 1024 * 1024)
  // What /metrics shows of it.
  expect(await metricValue(app.url, 'claudescope_capture_spilled_total')).toBeGreaterThan(0)
  expect(await metricValue(app.url, 'claudescope_capture_replayed_total')).toBe(stats.replayed)
  expect(await metricValue(app.url, 'claudescope_capture_spool_records')).toBe(0)
  expect(await metricValue(app.url, 'claudescope_db_batch_records_count')).toBeGreaterThan(0)
  return { peakQueueBytes, peakSpoolBytes }
}
