import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { queryGraphQL } from '../support/graphql-client'
import { makeRecord } from '../support/record-fixtures'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { storeRecords } from '../support/stored-records'
import { waitFor } from '../support/wait'

const run = promisify(execFile)
const TOKEN = 'notebook-token-0123456789'

/** The fenced code block of `language` in docs/notebook.md, as a reader would copy it. */
async function notebookExample(language: 'python' | 'js'): Promise<string> {
  const text = await readFile(path.resolve(import.meta.dirname, '../../docs/notebook.md'), 'utf8')
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(text)
  if (!block) throw new Error(`docs/notebook.md has no \`\`\`${language} block`)
  return block[1]!
}

/** A Python 3 that can import `requests` (the example's one dependency), or null. */
async function pythonWithRequests(): Promise<string | null> {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      await run(candidate, ['-c', 'import requests'])
      return candidate
    } catch {
      // Not installed, or without requests: try the next one.
    }
  }
  return null
}

/**
 * The totals the examples must print, by hand: every mock answer reports 12 input, 42 output and
 * 4,096 cache-read tokens; the stored records 10 input, 5 output and 0 cache-read tokens each.
 */
const STORED = 205
const EXPECTED = [
  'claude-haiku-4-5-20251001: 1 requests, 12 input, 42 output, 4096 cache read tokens',
  `claude-opus-4-5: ${STORED} requests, ${STORED * 10} input, ${STORED * 5} output, 0 cache read tokens`,
  'claude-sonnet-4-6: 2 requests, 24 input, 84 output, 8192 cache read tokens',
]

const COMPLETED = graphql(`query Completed { requests(filter: { statuses: [COMPLETED] }, first: 1) { totalCount } }`)

let app: TestApp
let dir: string
beforeAll(async () => {
  app = await startApp({ env: { DASHBOARD_TOKEN: TOKEN } })
  dir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-notebook-'))
  const now = Date.now()
  // More than one page of 200, so the examples' pagination is exercised.
  const stored = Array.from({ length: STORED }, (_, i) => makeRecord({ model: 'claude-opus-4-5', startedAt: new Date(now - 60_000 - i * 1000), completedAt: new Date(now - 59_000 - i * 1000) }))
  await storeRecords(app.app.dataSource, stored)
  const sdk = sdkClient(app.url)
  await sdk.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'one' }] })
  await sdk.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'two' }] })
  await sdk.messages.stream({ model: 'claude-haiku-4-5-20251001', max_tokens: 64, messages: [{ role: 'user', content: 'three' }] }).finalMessage()
  await waitFor(async () => (await queryGraphQL(app.url, COMPLETED, {}, TOKEN)).requests.totalCount === STORED + 3, 'the three proxied requests to be stored')
})
afterAll(async () => {
  await app?.close()
  await rm(dir, { recursive: true, force: true })
})

const env = () => ({ ...process.env, CLAUDESCOPE_URL: app.url, DASHBOARD_TOKEN: TOKEN })

describe('docs/notebook.md', () => {
  it('runs its JavaScript example against a live server, which prints the tokens per model over every page', async () => {
    const file = path.join(dir, 'notebook.mjs')
    await writeFile(file, await notebookExample('js'))
    const { stdout } = await run(process.execPath, [file], { env: env() })
    expect(stdout.trim().split('\n')).toEqual(EXPECTED)
  })

  it('runs its Python example against a live server, which prints the same', async (context) => {
    const python = await pythonWithRequests()
    if (python === null) {
      console.warn('\n*** docs/notebook.md Python example SKIPPED: no python3 with the requests package (Debian: apt-get install python3-requests). ***\n')
      return context.skip()
    }
    const file = path.join(dir, 'notebook.py')
    await writeFile(file, await notebookExample('python'))
    const { stdout } = await run(python, [file], { env: env() })
    expect(stdout.trim().split('\n')).toEqual(EXPECTED)
  })
})
