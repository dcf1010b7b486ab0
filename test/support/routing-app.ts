import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startMockOpenAi, type MockOpenAi } from './mock-openai'
import { startApp, type TestApp } from './start-app'

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
