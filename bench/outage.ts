/**
 * Claudescope while its PostgreSQL is away (issue: never block, never lose). In one run: forwarding
 * latency with the database up, then during an outage (default 2 minutes) at a steady 100
 * requests/s (every fourth one a 20-event stream), then the replay of the spooled records once it
 * returns while the same load goes on. Reports latency up vs down, RSS growth during the outage
 * beside the spool's size and the queue's peak, and the replay rate.
 *
 * Usage: `node -r @swc-node/register bench/outage.ts` (needs PostgreSQL's server binaries).
 * BENCH_OUTAGE_S shortens the outage; BENCH_RATE changes the rate; BENCH_APP=dist runs the built
 * `dist/server/main.js` instead of the sources.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pool } from 'undici'
import { startPgCluster } from '../test/support/pg-cluster'
import { messagesBody } from './lib/load'
import { claudescopeLine, portLine, startProcess, type BenchProcess } from './lib/processes'
import { fmt, percentile, table } from './lib/stats'

const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 120)
const RATE = Number(process.env.BENCH_RATE ?? 100)
const APP_ENTRY = process.env.BENCH_APP === 'dist' ? 'dist/server/main.js' : 'server/main.ts'

/** The capture figures /metrics exposes, read from its text. */
interface CaptureFigures {
  spoolBytes: number
  spoolRecords: number
  queueBytes: number
  written: number
  replayed: number
  spilled: number
  dropped: number
}

async function capture(url: string): Promise<CaptureFigures> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const read = (name: string) => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? 0)
  return {
    spoolBytes: read('claudescope_capture_spool_bytes'),
    spoolRecords: read('claudescope_capture_spool_records'),
    queueBytes: read('claudescope_capture_queue_bytes'),
    written: read('claudescope_capture_written_total'),
    replayed: read('claudescope_capture_replayed_total'),
    spilled: read('claudescope_capture_spilled_total'),
    dropped: read('claudescope_capture_dropped_total'),
  }
}

interface Phase {
  latencies: number[]
  failed: number
}

/**
 * Paced load: RATE requests a second until `until()` says stop (checked once a second, when
 * `onTick` runs too), each timed to its last byte.
 */
async function pacedLoad(url: string, until: (second: number) => boolean | Promise<boolean>, onTick: () => void | Promise<void> = () => {}): Promise<Phase> {
  const pool = new Pool(url, { connections: 64 })
  const plain = messagesBody(4096)
  const streamed = messagesBody(4096, true)
  const phase: Phase = { latencies: [], failed: 0 }
  const pending = new Set<Promise<void>>()
  const started = performance.now()
  for (let i = 0; ; i++) {
    if (i % RATE === 0) {
      await onTick()
      if (await until(i / RATE)) break
    }
    const wait = started + (i * 1000) / RATE - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const stream = i % 4 === 3
    const request = (async () => {
      const t0 = performance.now()
      try {
        const res = await pool.request({
          path: '/v1/messages',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'x-bench-events': '20', 'x-bench-interval-ms': '2' },
          body: stream ? streamed : plain,
        })
        for await (const _ of res.body) void _
        if (res.statusCode !== 200) phase.failed++
        else phase.latencies.push(performance.now() - t0)
      } catch {
        phase.failed++
      }
    })()
    pending.add(request)
    void request.finally(() => pending.delete(request))
  }
  await Promise.all(pending)
  await pool.close()
  return phase
}

async function main() {
  const cluster = await startPgCluster()
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-outage-'))
  let upstream: BenchProcess | undefined
  let app: BenchProcess | undefined
  const cleanUp = async () => {
    await app?.stop()
    await upstream?.stop()
    await cluster.destroy()
    rmSync(dataDir, { recursive: true, force: true })
  }
  // An interrupted run must not leave a PostgreSQL server behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)))
  try {
    upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
    app = await startProcess('claudescope', [APP_ENTRY], { PORT: '0', DATA_DIR: dataDir, ANTHROPIC_FORWARD_URL: upstream.url, DATABASE_URL: cluster.url, LOG_LEVEL: 'info' }, claudescopeLine)
    const { url } = app
    const rss = app.rssMiB
    await pacedLoad(url, (s) => s >= 10)
    const up = await pacedLoad(url, (s) => s >= 20)

    await cluster.stop()
    const rssBefore = rss()
    let rssPeak = rssBefore
    let spoolPeak = 0
    let queuePeak = 0
    const down = await pacedLoad(
      url,
      (s) => s >= OUTAGE_S,
      async () => {
        rssPeak = Math.max(rssPeak, rss())
        const figures = await capture(url)
        spoolPeak = Math.max(spoolPeak, figures.spoolBytes)
        queuePeak = Math.max(queuePeak, figures.queueBytes)
      },
    )
    const atReturn = await capture(url)
    await cluster.start()
    const returnedAt = performance.now()
    let firstReplayAt = Number.NaN
    let drainedAt = Number.NaN
    // Replay progress, sampled finely: when it starts (the writer's retry notices the database) and ends.
    const sampler = setInterval(() => {
      void capture(url).then((figures) => {
        const now = performance.now()
        if (Number.isNaN(firstReplayAt) && figures.replayed > atReturn.replayed) firstReplayAt = now
        if (Number.isNaN(drainedAt) && figures.spoolRecords === 0) drainedAt = now
      })
    }, 50)
    const during = await pacedLoad(url, () => !Number.isNaN(drainedAt))
    clearInterval(sampler)
    const after = await capture(url)
    const replayed = after.replayed - atReturn.replayed
    const replaySeconds = (drainedAt - firstReplayAt) / 1000

    const row = (name: string, p: Phase) => [name, p.latencies.length + p.failed, p.failed, fmt(percentile(p.latencies, 50), 3), fmt(percentile(p.latencies, 90), 3), fmt(percentile(p.latencies, 99), 3)]
    const report = [
      `## Outage benchmark — ${new Date().toISOString()}, ${RATE} req/s of 4 KB requests (1 in 4 a 20-event stream), ${APP_ENTRY}`,
      table(['phase', 'requests', 'failed', 'p50 ms', 'p90 ms', 'p99 ms'], [
        row('database up', up),
        row(`database down (${OUTAGE_S} s)`, down),
        row('replay after it returns', during),
      ]),
      table(['figure', 'value'], [
        ['p99 growth while down', `${fmt(percentile(down.latencies, 99) - percentile(up.latencies, 99), 3)} ms`],
        ['RSS growth during the outage', `${fmt(rssPeak - rssBefore, 1)} MiB (${fmt(rssBefore, 0)} → ${fmt(rssPeak, 0)} MiB)`],
        ['capture queue at its largest', `${fmt(queuePeak / 1024 / 1024, 2)} MiB`],
        ['spool at its largest', `${fmt(spoolPeak / 1024 / 1024, 1)} MiB (${atReturn.spoolRecords} records when the database returned)`],
        ['replay started after the database returned', `${fmt((firstReplayAt - returnedAt) / 1000, 2)} s`],
        ['records replayed after the outage', `${replayed} in ${fmt(replaySeconds, 2)} s (${fmt(replayed / replaySeconds, 0)} records/s) beside ${RATE} new requests/s`],
        ['records spilled / dropped', `${after.spilled} / ${after.dropped}`],
      ]),
    ].join('\n\n')
    process.stdout.write(report + '\n')
  } finally {
    await cleanUp()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n')
  process.exit(1)
})
