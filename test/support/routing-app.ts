import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startMockOpenAi, type MockOpenAi } from './mock-openai'
import { startApp, type TestApp } from './start-app'

/** The stored row (snake_case columns) of the exchange the provider answered with `upstreamRequestId`, once capture has written it. */
export async function storedRecord(app: TestApp, upstreamRequestId: string): Promise<Record<string, unknown>> {
  await app.app.capture.flush()
  const rows = (await app.app.dataSource.query(
    'SELECT path, model, routed_model, provider, translation, status, stream, stop_reason, input_tokens, output_tokens, cache_read_input_tokens FROM requests WHERE upstream_request_id = $1',
    [upstreamRequestId],
  )) as Record<string, unknown>[]
  return rows[0]!
}

/** A stored row's input, output and cache-read token counts. */
export const storedTokens = (record: Record<string, unknown>) => [record.input_tokens, record.output_tokens, record.cache_read_input_tokens].map(Number)

/** The provider key the routing file names; the only credential the mock provider may ever see. */
export const PROVIDER_KEY = 'sk-openai-from-config'

export interface RoutingApp {
  app: TestApp
  /** The mock OpenAI-compatible provider, named `openai` in the routing file. */
  openai: MockOpenAi
  close(): Promise<void>
}

/**
 * A whole Claudescope with a mock Anthropic upstream and a mock OpenAI provider, started with a
 * CLAUDESCOPE_CONFIG file naming that provider `openai` and holding `routes` (YAML lines under
 * `routes:`, indented two spaces) and `topLevel` lines after them.
 */
export async function startRoutingApp(routes: string[], topLevel: string[] = []): Promise<RoutingApp> {
  const openai = await startMockOpenAi()
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-routing-'))
  const file = path.join(configDir, 'claudescope.yaml')
  await writeFile(file, ['providers:', '  openai:', `    base_url: ${openai.url}`, `    api_key: ${PROVIDER_KEY}`, 'routes:', ...routes.map((line) => `  ${line}`), ...topLevel].join('\n'))
  const app = await startApp({ env: { CLAUDESCOPE_CONFIG: file } })
  return {
    app,
    openai,
    async close() {
      await app.close()
      await openai.close()
      await rm(configDir, { recursive: true, force: true })
    },
  }
}
