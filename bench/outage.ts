/**
 * Claudescope while its PostgreSQL is away (issue: never block, never lose). In one run: forwarding
 * latency with the database up, then during a 2-minute outage at a steady 100 requests/s, then the
 * replay of the spooled records once it returns. Reports latency up vs down, RSS growth during the
 * outage beside the spool's size, and the replay rate. Usage: `npm run build && node -r
 * @swc-node/register bench/outage.ts` (needs PostgreSQL's server binaries; BENCH_OUTAGE_S shortens it).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pool } from 'undici'
import { startPgCluster } from '../test/support/pg-cluster'
import { messagesBody } from './lib/load'
import { claudescopeLine, portLine, startProcess } from './lib/processes'
import { fmt, percentile, table } from './lib/stats'

const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 120)
const RATE = 100

interface Health { capture: { spoolBytes: number; queueItems: number; written: number; dropped: number } }

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ health { capture { spoolBytes queueItems written dropped } } }' }) })
  return ((await res.json()) as { data: { health: Health } }).data.health
}

/** Paced load: RATE requests a second for `seconds`, each timed; `onTick` runs once a second. */
async function pacedLoad(url: string, seconds: number, onTick: () => void = () => {}): Promise<{ latencies: number[]; failed: number }> {
  const pool = new Pool(url, { connections: 32 })
  const body = messagesBody(4096)
  const latencies: number[] = []
  let failed = 0
  const pending: Promise<void>[] = []
  const started = performance.now()
  for (let i = 0; i < seconds * RATE; i++) {
    const due = started + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    if (i % RATE === 0) onTick()
    pending.push(
      (async () => {
        const t0 = performance.now()
        try {
          const res = await pool.request({ path: '/v1/messages', method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench' }, body })
          for await (const _ of res.body) void _
          if (res.statusCode !== 200) failed++
          latencies.push(performance.now() - t0)
        } catch {
          failed++
        }
      })(),
    )
  }
  await Promise.all(pending)
  await pool.close()
  return { latencies, failed }
}

async function main() {
  const cluster = await startPgCluster()
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-outage-'))
  const upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
  const app = await startProcess('claudescope', ['dist/server/main.js'], { PORT: '0', DATA_DIR: dataDir, ANTHROPIC_FORWARD_URL: upstream.url, DATABASE_URL: cluster.url, LOG_LEVEL: 'info' }, claudescopeLine)
  try {
    await pacedLoad(app.url, 5)
    const up = await pacedLoad(app.url, 20)

    await cluster.stop()
    const rssBefore = app.rssMiB()
    let rssPeak = rssBefore
    let spoolPeak = 0
    const down = await pacedLoad(app.url, OUTAGE_S, () => {
      rssPeak = Math.max(rssPeak, app.rssMiB())
      void health(app.url).then((h) => (spoolPeak = Math.max(spoolPeak, h.capture.spoolBytes)))
    })
    const atReturn = await health(app.url)
    await cluster.start()
    const replayStarted = performance.now()
    const writtenBefore = atReturn.capture.written
    let after = atReturn
    while (after.capture.spoolBytes > 0 || after.capture.queueItems > 0) {
      await new Promise((r) => setTimeout(r, 200))
      after = await health(app.url)
    }
    const replaySeconds = (performance.now() - replayStarted) / 1000
    const replayed = after.capture.written - writtenBefore

    const row = (name: string, l: number[], failed: number) => [name, l.length, failed, fmt(percentile(l, 50), 3), fmt(percentile(l, 90), 3), fmt(percentile(l, 99), 3)]
    const report = [
      `## Outage benchmark — ${new Date().toISOString()}, ${RATE} req/s of 4 KB requests`,
      table(['phase', 'requests', 'failed', 'p50 ms', 'p90 ms', 'p99 ms'], [row('database up', up.latencies, up.failed), row(`database down (${OUTAGE_S} s)`, down.latencies, down.failed)]),
      table(
        ['figure', 'value'],
        [
          ['p99 growth while down', `${fmt(percentile(down.latencies, 99) - percentile(up.latencies, 99), 3)} ms`],
          ['RSS growth during the outage', `${fmt(rssPeak - rssBefore, 1)} MiB`],
          ['spool at its largest', `${fmt(spoolPeak / 1024 / 1024, 1)} MiB`],
          ['records replayed after the outage', `${replayed} in ${fmt(replaySeconds, 1)} s (${fmt(replayed / replaySeconds, 0)} records/s)`],
          ['records dropped', String(after.capture.dropped)],
        ],
      ),
    ].join('\n\n')
    process.stdout.write(report + '\n')
  } finally {
    await app.stop()
    await upstream.stop()
    await cluster.destroy()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n')
  process.exit(1)
})
