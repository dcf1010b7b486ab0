import { Pool } from 'undici'
import { monotonicUs, type ProfileWindow } from './profile'

export interface LoadResult {
  /** Per-request wall time in ms, send to last body byte. */
  latenciesMs: number[]
  /** The same spans on the monotonic clock a CPU profile's samples are stamped with, in order of completion. */
  spans: ProfileWindow[]
  elapsedS: number
  failures: number
}

/**
 * What a load sends: `count` requests of one body with `concurrency` in flight, or each worker's own
 * bodies in order (as many workers as lists), made beforehand so the load measures sending only.
 */
export type LoadBodies = { count: number; concurrency: number; body: Buffer } | { perWorker: Buffer[][] }

/** Sends requests over keep-alive connections and times each one to its last body byte. */
export async function runLoad(url: string, options: LoadBodies & { headers?: Record<string, string>; path?: string }): Promise<LoadResult> {
  const concurrency = 'perWorker' in options ? options.perWorker.length : options.concurrency
  const nextBody = bodySequence(options)
  const pool = new Pool(url, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const latenciesMs: number[] = []
  const spans: ProfileWindow[] = []
  let failures = 0
  const headers = { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01', ...options.headers }
  const started = performance.now()
  const worker = async (n: number) => {
    for (let body = nextBody(n); body !== undefined; body = nextBody(n)) {
      const fromUs = monotonicUs()
      try {
        const res = await pool.request({ path: options.path ?? '/v1/messages', method: 'POST', headers, body })
        for await (const _ of res.body) void _
        if (res.statusCode !== 200) failures++
        const toUs = monotonicUs()
        latenciesMs.push((toUs - fromUs) / 1000)
        spans.push({ fromUs, toUs })
      } catch {
        failures++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, n) => worker(n)))
  const elapsedS = (performance.now() - started) / 1000
  await pool.close()
  return { latenciesMs, spans, elapsedS, failures }
}

/** Worker n's next body, or undefined when it is done. */
function bodySequence(bodies: LoadBodies): (worker: number) => Buffer | undefined {
  if ('perWorker' in bodies) {
    const sent = bodies.perWorker.map(() => 0)
    return (n) => bodies.perWorker[n]![sent[n]!++]
  }
  let sent = 0
  return () => (sent++ < bodies.count ? bodies.body : undefined)
}

/** A Messages request body of about `bytes` bytes. */
export function messagesBody(bytes: number, stream = false): Buffer {
  const head = { model: 'claude-sonnet-4-5', max_tokens: 1024, stream, messages: [{ role: 'user', content: '' }] }
  const base = JSON.stringify(head).length
  head.messages[0]!.content = 'lorem ipsum '.repeat(Math.ceil(Math.max(0, bytes - base) / 12)).slice(0, Math.max(0, bytes - base))
  return Buffer.from(JSON.stringify(head))
}
