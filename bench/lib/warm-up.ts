import { messagesBody, runLoad } from './load'
import { fmt, table } from './stats'
import type { Target } from './target'

export interface WarmUpOptions {
  /** Non-streaming 2 KB requests per round, one at a time. */
  requestsPerRound: number
  /** Streams per round, 8 at a time, each of 20 events. */
  streamsPerRound: number
  /** The same for every target: stopping once a target's rounds look level stops early on a noisy round. */
  rounds: number
}

const DEFAULTS: WarmUpOptions = { requestsPerRound: 500, streamsPerRound: 32, rounds: 12 }
const STREAM_HEADERS = { 'x-bench-events': '20', 'x-bench-interval-ms': '1' }

/**
 * Sends every target the same rounds of JSON requests and streams before anything is measured. A
 * process's first thousands of requests run code V8 has not optimised yet: Claudescope's first
 * 2,000 small requests cost 1.8 ms of CPU each, the next 2,000 0.85 ms, and then 0.7 ms, while a
 * pass-through of a few dozen lines is warm after a few hundred. A short warm-up therefore
 * compared a cold Claudescope with a warm pass-through, which is not what a proxy that runs all
 * day costs. The table keeps each target's first round as well: the cost right after a start.
 */
export async function warmUp(targets: readonly Target[], options: Partial<WarmUpOptions> = {}): Promise<string> {
  const { requestsPerRound, streamsPerRound, rounds } = { ...DEFAULTS, ...options }
  const json = messagesBody(2048)
  const stream = messagesBody(2048, true)
  const perRound = requestsPerRound + streamsPerRound
  const rows: string[][] = []
  for (const target of targets) {
    const round = async () => {
      const before = target.process?.cpuSeconds() ?? 0
      await runLoad(target.url, { count: requestsPerRound, concurrency: 1, body: json })
      await runLoad(target.url, { count: streamsPerRound, concurrency: 8, body: stream, headers: STREAM_HEADERS })
      return (((target.process?.cpuSeconds() ?? 0) - before) * 1000) / perRound
    }
    const cpuMsPerRequest: number[] = []
    for (let n = 0; n < rounds; n++) cpuMsPerRequest.push(await round())
    const shown = (n: number) => (target.process ? fmt(cpuMsPerRequest[n]!, 3) : '–')
    rows.push([target.name, shown(0), shown(Math.floor(rounds / 2)), shown(rounds - 1)])
  }
  return (
    `### Warm-up: ${rounds} rounds of ${requestsPerRound} JSON requests and ${streamsPerRound} streams per target (${rounds * perRound} requests), before anything is measured\n\n` +
    table(['target', 'first round CPU ms/req', `round ${Math.floor(rounds / 2) + 1}`, 'last round'], rows)
  )
}
