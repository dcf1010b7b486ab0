import Anthropic from '@anthropic-ai/sdk'

export interface LoadReport {
  succeeded: number
  failed: { error: string }[]
}

/**
 * Claude-Code-like traffic through the official SDK: `concurrency` workers alternating streamed
 * and plain Messages calls, each pausing `pauseMs` between calls, until `stop()`.
 */
export function startSteadyLoad(baseURL: string, options: { concurrency: number; pauseMs: number }): { stop(): Promise<LoadReport>; readonly succeeded: number } {
  const client = new Anthropic({ baseURL, apiKey: 'sk-ant-load', maxRetries: 0 })
  const params = { model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages: [{ role: 'user' as const, content: 'steady' }] }
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
