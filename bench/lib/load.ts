import { Pool } from 'undici'

export interface LoadResult {
  /** Per-request wall time in ms, send to last body byte. */
  latenciesMs: number[]
  elapsedS: number
  failures: number
}

/**
 * Sends `count` identical requests with `concurrency` in flight, over keep-alive connections, and
 * times each one to its last body byte.
 */
export async function runLoad(url: string, options: { count: number; concurrency: number; body: Buffer; headers?: Record<string, string>; path?: string }): Promise<LoadResult> {
  const pool = new Pool(url, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const latenciesMs: number[] = []
  let failures = 0
  let next = 0
  const headers = { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01', ...options.headers }
  const started = performance.now()
  const worker = async () => {
    while (next < options.count) {
      next++
      const t0 = performance.now()
      try {
        const res = await pool.request({ path: options.path ?? '/v1/messages', method: 'POST', headers, body: options.body })
        for await (const _ of res.body) void _
        if (res.statusCode !== 200) failures++
        latenciesMs.push(performance.now() - t0)
      } catch {
        failures++
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  const elapsedS = (performance.now() - started) / 1000
  await pool.close()
  return { latenciesMs, elapsedS, failures }
}

/** A Messages request body of about `bytes` bytes. */
export function messagesBody(bytes: number, stream = false): Buffer {
  const head = { model: 'claude-sonnet-4-5', max_tokens: 1024, stream, messages: [{ role: 'user', content: '' }] }
  const base = JSON.stringify(head).length
  head.messages[0]!.content = 'lorem ipsum '.repeat(Math.ceil(Math.max(0, bytes - base) / 12)).slice(0, Math.max(0, bytes - base))
  return Buffer.from(JSON.stringify(head))
}
