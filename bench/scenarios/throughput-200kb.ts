import { messagesBody, runLoad } from '../lib/load'
import { fmt, percentile, table } from '../lib/stats'
import type { Target } from '../lib/target'

/**
 * 200 KB bodies at concurrency 16: sustained rate, proxy CPU per request, whether every record was
 * stored, and how fast (records over the time from the load's start to the last one stored).
 */
export async function throughput200kb(targets: Target[], options = { count: 3000, concurrency: 16 }): Promise<string> {
  const body = messagesBody(200 * 1024)
  const rows: (string | number)[][] = []
  for (const t of targets) {
    await runLoad(t.url, { count: 200, concurrency: options.concurrency, body })
    const storedBefore = t.storedCount ? await settledCount(t.storedCount) : 0
    const cpuBefore = t.process?.cpuSeconds() ?? 0
    const loadStarted = performance.now()
    const result = await runLoad(t.url, { count: options.count, concurrency: options.concurrency, body })
    const cpuMs = t.process ? ((t.process.cpuSeconds() - cpuBefore) * 1000) / options.count : NaN
    let stored = '–'
    let storedPerS = NaN
    if (t.storedCount) {
      const expected = storedBefore + options.count
      const deadline = Date.now() + 120_000
      let count = await t.storedCount()
      while (count < expected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250))
        count = await t.storedCount()
      }
      stored = `${count - storedBefore}/${options.count}`
      if (count >= expected) storedPerS = options.count / ((performance.now() - loadStarted) / 1000)
    }
    rows.push([t.name, fmt(options.count / result.elapsedS, 0), fmt(percentile(result.latenciesMs, 50), 2), fmt(percentile(result.latenciesMs, 90), 2), t.process ? fmt(cpuMs, 3) : '–', result.failures, stored, fmt(storedPerS, 0)])
  }
  return `### 200 KB bodies, concurrency ${options.concurrency} (${options.count} requests per target)\n\n` +
    table(['target', 'req/s', 'p50 ms', 'p90 ms', 'proxy CPU ms/req', 'failed', 'records stored', 'stored/s'], rows)
}

/** The stored count once earlier requests' records have all landed (unchanged for a second). */
async function settledCount(read: () => Promise<number>): Promise<number> {
  let last = await read()
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000))
    const now = await read()
    if (now === last) return now
    last = now
  }
}
