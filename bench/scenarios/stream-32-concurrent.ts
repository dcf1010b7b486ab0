import { Pool } from 'undici'
import { messagesBody } from '../lib/load'
import { fmt, percentile, table } from '../lib/stats'
import { afterCaptureLands, turns, type Target } from '../lib/target'

const now = () => performance.timeOrigin + performance.now()
const STAMP = /"t":([0-9.]+)/g

/**
 * 32 concurrent streams of 100 events 5 ms apart. Each event carries its send time, so the delay
 * to the client is measured per event; "reads/event" = 1.00 means every event was flushed on its own.
 * Proxy CPU per event is steadier than delays on a machine that pauses at random, but two rounds
 * of it still ranged from 62 to 100 µs for one Claudescope started twice alike: four rounds give
 * each target twice the events for about ten seconds more a run.
 *
 * A round that is not counted comes first. It is a process's first burst of 32 streams at once
 * (the warm-up's are 8 at a time), and it cost Claudescope 59 to 87 µs of CPU per event where the
 * four rounds after it averaged 49 to 64, while the pass-through's cost no more than its later
 * ones (two runs, two Claudescopes each). Its CPU is shown apart, as what a first burst costs.
 */
/** What one target's turns of a kind (counted, or the first) add up to. */
interface StreamTally {
  delays: number[]
  reads: number
  events: number
  cpuSeconds: number
}

export async function stream32Concurrent(targets: Target[], options = { streams: 32, events: 100, intervalMs: 5, rounds: 4 }): Promise<string> {
  const body = messagesBody(2048, true)
  const results = new Map<string, StreamTally>()
  const firstRounds = new Map<string, StreamTally>()
  // Round 0 is the uncounted first burst.
  for (let round = 0; round <= options.rounds; round++) {
    const counted = round === 0 ? firstRounds : results
    for await (const t of turns(targets, round)) {
      const acc = counted.get(t.name) ?? { delays: [], reads: 0, events: 0, cpuSeconds: 0 }
      counted.set(t.name, acc)
      const cpuBefore = t.process?.cpuSeconds() ?? 0
      const pool = new Pool(t.url, { connections: options.streams, pipelining: 1 })
      await Promise.all(
        Array.from({ length: options.streams }, async () => {
          const res = await pool.request({
            path: '/v1/messages',
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'x-bench-events': String(options.events), 'x-bench-interval-ms': String(options.intervalMs) },
            body,
          })
          for await (const chunk of res.body) {
            const arrived = now()
            const text = (chunk as Buffer).toString()
            let stamped = 0
            for (const m of text.matchAll(STAMP)) {
              acc.delays.push(arrived - Number(m[1]))
              stamped++
            }
            if (stamped > 0) {
              acc.reads++
              acc.events += stamped
            }
          }
        }),
      )
      await pool.close()
      await afterCaptureLands(t)
      acc.cpuSeconds += (t.process?.cpuSeconds() ?? 0) - cpuBefore
    }
  }
  const direct = results.get(targets[0]!.name)!.delays
  const rows = targets.map((t) => {
    const r = results.get(t.name)!
    const first = firstRounds.get(t.name)!
    const isProxy = t.process !== undefined
    return [
      t.name,
      fmt(percentile(r.delays, 50), 3),
      fmt(percentile(r.delays, 90), 3),
      fmt(percentile(r.delays, 99), 3),
      ...[50, 90, 99].map((p) => (isProxy ? fmt(percentile(r.delays, p) - percentile(direct, p), 3) : '–')),
      fmt(r.events / r.reads, 2),
      isProxy ? fmt((r.cpuSeconds * 1e6) / r.events, 0) : '–',
      isProxy ? fmt((first.cpuSeconds * 1e6) / first.events, 0) : '–',
    ]
  })
  return `### ${options.streams} concurrent streams × ${options.events} events, ${options.intervalMs} ms apart (${options.rounds} rounds, after a first one not counted)\n\n` +
    table(['target', 'event delay p50 ms', 'p90 ms', 'p99 ms', 'added p50 ms', 'added p90 ms', 'added p99 ms', 'events/read', 'proxy CPU µs/event', 'first round µs/event'], rows)
}
