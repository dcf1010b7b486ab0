/**
 * Several instances, one picture: what a second instance behind a load balancer adds, and how late
 * live events reach a dashboard connected to the other instance. Both instances share one
 * PostgreSQL and one Redis, with capture on. Usage: `npm run build && node -r @swc-node/register
 * bench/instances.ts`.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_QUICK=1 for a shorter run. On one
 * machine both instances share its cores with the database, Redis, the upstream and the load, so
 * the aggregate rate says what a second instance costs here, not what a second machine would add.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClient } from 'graphql-ws'
import { Pool } from 'undici'
import WebSocket from 'ws'
import { createBenchDatabase } from './lib/bench-database'
import { ClaudescopeApi } from './lib/claudescope-api'
import { messagesBody, runLoad } from './lib/load'
import { claudescopeLine, portLine, startProcess, type BenchProcess } from './lib/processes'
import { claudescopeEnvironment, npmStartCommand } from './lib/start-command'
import { fmt, percentile, table } from './lib/stats'
import { countWhenStored, settledCount } from './lib/stored'

const quick = process.env.BENCH_QUICK === '1'
const pgAdminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** As `npm start` runs it: its malloc settings and heap flags. */
const start = npmStartCommand()
const REQUESTS = quick ? 1_000 : 4_000
const CONCURRENCY = 16
const STREAMS = 8
const EVENTS_PER_STREAM = quick ? 50 : 100
const STAMP = /"t":([0-9.]+)/
const now = () => performance.timeOrigin + performance.now()

interface Instance {
  process: BenchProcess
  api: ClaudescopeApi
}

/**
 * Requests per second with every record stored, the load split evenly over `instances` at the
 * same total concurrency, as a load balancer would.
 */
async function aggregateRate(instances: Instance[], body: Buffer): Promise<{ reqPerS: number; p50: number; p90: number; stored: number }> {
  const before = await settledCount(instances[0]!.api)
  const started = performance.now()
  const results = await Promise.all(instances.map((i) => runLoad(i.process.url, { count: REQUESTS / instances.length, concurrency: CONCURRENCY / instances.length, body })))
  const elapsedS = (performance.now() - started) / 1000
  const stored = (await countWhenStored(instances[0]!.api, before + REQUESTS)) - before
  const latencies = results.flatMap((r) => r.latenciesMs)
  return { reqPerS: REQUESTS / elapsedS, p50: percentile(latencies, 50), p90: percentile(latencies, 90), stored }
}

/**
 * Delay from the upstream's send of each stream event to its arrival at a graphql-ws subscriber of
 * `liveChunks` on `watched`, while `serving` forwards the streams.
 */
async function liveEventDelays(watched: Instance, serving: Instance): Promise<number[]> {
  const delays: number[] = []
  const client = createClient({ url: watched.process.url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket })
  const unsubscribe = client.subscribe<{ liveChunks: { data: string } }>(
    { query: 'subscription { liveChunks { data } }' },
    {
      next: (result) => {
        const stamp = STAMP.exec(result.data?.liveChunks.data ?? '')
        if (stamp) delays.push(now() - Number(stamp[1]))
      },
      error: (err) => process.stderr.write(`live subscription failed: ${String(err)}\n`),
      complete: () => {},
    },
  )
  const pool = new Pool(serving.process.url, { connections: STREAMS })
  const body = messagesBody(2048, true)
  const stream = async (events: number) => {
    const res = await pool.request({
      path: '/v1/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'x-bench-events': String(events), 'x-bench-interval-ms': '5' },
      body,
    })
    for await (const _ of res.body) void _
  }
  // The subscription is in place once a probe stream's events arrive through it.
  for (let tries = 0; delays.length === 0; tries++) {
    if (tries === 50) throw new Error('no live event reached the subscriber: is Redis running?')
    await stream(1)
    await waitUntil(() => delays.length > 0, 200)
  }
  delays.length = 0
  await Promise.all(Array.from({ length: STREAMS }, () => stream(EVENTS_PER_STREAM)))
  await pool.close()
  // The last events may still be crossing Redis.
  await waitUntil(() => delays.length >= STREAMS * EVENTS_PER_STREAM, 5_000)
  unsubscribe()
  await client.dispose()
  return delays
}

/** Resolves once `done()` holds, or after `timeoutMs`, looking every 20 ms. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  for (let waited = 0; !done() && waited < timeoutMs; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
}

async function main() {
  const pg = await createBenchDatabase(pgAdminUrl)
  if (pg === null) throw new Error('This bench needs PostgreSQL: several instances share one database.')
  const started: BenchProcess[] = []
  const dataDirs: string[] = []
  try {
    const upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
    started.push(upstream)
    const startInstance = async (name: string): Promise<Instance> => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-bench-'))
      dataDirs.push(dataDir)
      const env = claudescopeEnvironment(start, { dataDir, upstreamUrl: upstream.url, databaseUrl: pg.url }, { REDIS_URL: redisUrl })
      const p = await startProcess(name, ['dist/server/main.js'], env, claudescopeLine, start.nodeArgs)
      started.push(p)
      return { process: p, api: new ClaudescopeApi(p.url) }
    }
    const a = await startInstance('instance A')
    const b = await startInstance('instance B')

    const body = messagesBody(2048)
    await runLoad(a.process.url, { count: 200, concurrency: 8, body })
    await runLoad(b.process.url, { count: 200, concurrency: 8, body })
    const one = await aggregateRate([a], body)
    const two = await aggregateRate([a, b], body)
    const sameInstance = await liveEventDelays(b, b)
    const otherInstance = await liveEventDelays(a, b)

    const sections = [
      `## Claudescope: two instances vs one — ${new Date().toISOString()}`,
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ' (quick run)' : ''}; one PostgreSQL and one Redis shared.`,
      `### Aggregate rate, 2 KB bodies, concurrency ${CONCURRENCY} in all, capture on (${REQUESTS} requests)\n\n` +
        table(
          ['instances', 'req/s', 'vs one', 'p50 ms', 'p90 ms', 'records stored'],
          [
            ['one', fmt(one.reqPerS, 0), '100 %', fmt(one.p50), fmt(one.p90), `${one.stored}/${REQUESTS}`],
            ['two', fmt(two.reqPerS, 0), `${fmt((100 * two.reqPerS) / one.reqPerS, 0)} %`, fmt(two.p50), fmt(two.p90), `${two.stored}/${REQUESTS}`],
          ],
        ),
      `### Live stream events, upstream send to a liveChunks subscriber (${STREAMS} streams × ${EVENTS_PER_STREAM} events served by B)\n\n` +
        table(
          ['subscriber on', 'events received', 'p50 ms', 'p90 ms', 'p99 ms'],
          [
            ['B (the serving instance)', `${sameInstance.length}/${STREAMS * EVENTS_PER_STREAM}`, fmt(percentile(sameInstance, 50)), fmt(percentile(sameInstance, 90)), fmt(percentile(sameInstance, 99))],
            ['A (through Redis)', `${otherInstance.length}/${STREAMS * EVENTS_PER_STREAM}`, fmt(percentile(otherInstance, 50)), fmt(percentile(otherInstance, 90)), fmt(percentile(otherInstance, 99))],
          ],
        ),
    ]
    const text = sections.join('\n\n') + '\n'
    process.stdout.write(text)
    const resultsDir = path.join(__dirname, 'results')
    mkdirSync(resultsDir, { recursive: true })
    const file = path.join(resultsDir, `instances-${new Date().toISOString().replace(/[:.]/g, '-')}.md`)
    writeFileSync(file, text)
    process.stdout.write(`Saved ${path.relative(process.cwd(), file)}\n`)
  } finally {
    for (const p of started.reverse()) await p.stop()
    await pg.drop()
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n')
  process.exit(1)
})
