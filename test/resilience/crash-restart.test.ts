/**
 * Durability across a crash: the process is killed (SIGKILL, nothing flushed) under load, then started
 * again on the same DATA_DIR and embedded database. Every request that completed more than a
 * second before the kill must be in the database after the spool's replay; the database is frozen
 * for the last seconds, so the newest of them exist only in the spool when the process dies. The
 * exchanges the kill cut must not stay IN_FLIGHT forever: the restart closes them as orphans.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { startAppProcess, type AppProcess } from '../support/app-process'
import { queryGraphQL } from '../support/graphql-client'
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { sdkClient } from '../support/sdk-client'
import { isAlive } from '../support/processes'
import { waitFor } from '../support/wait'

let upstream: MockUpstream
let dataDir: string
const processes: AppProcess[] = []

beforeAll(async () => {
  upstream = await startMockUpstream()
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-crash-'))
})
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  await upstream?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const STORED_PAGE = graphql('query StoredPage($after: String) { requests(first: 200, after: $after) { nodes { upstreamRequestId status } pageInfo { hasNextPage endCursor } } }')

async function storedCompletedIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>()
  let after: string | null = null
  for (;;) {
    const page: ResultOf<typeof STORED_PAGE> = await queryGraphQL(url, STORED_PAGE, { after })
    for (const n of page.requests.nodes) if (n.status === 'COMPLETED' && n.upstreamRequestId) ids.add(n.upstreamRequestId)
    if (!page.requests.pageInfo.hasNextPage) return ids
    after = page.requests.pageInfo.endCursor
  }
}

describe('a crash under load', () => {
  it('keeps every request that completed more than a second before SIGKILL, replayed after the restart, and closes the one it cut as an orphan', async () => {
    const env = { DATA_DIR: dataDir, ANTHROPIC_FORWARD_URL: upstream.url, DATABASE_URL: '' }
    const first = await startAppProcess(env)
    processes.push(first)
    const client = sdkClient(first.url, 'sk-ant-crash')
    const completedAt = new Map<string, number>()
    let running = true
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        try {
          const params = { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user' as const, content: 'crash' }] }
          let requestId: string | null | undefined
          if ((i + n) % 2 === 0) requestId = (await client.messages.create(params).withResponse()).request_id
          else {
            const stream = client.messages.stream(params)
            await stream.finalMessage()
            requestId = (await stream.withResponse()).request_id
          }
          if (requestId) completedAt.set(requestId, Date.now())
        } catch {
          // Requests cut by the kill itself are not part of the promise.
        }
      }
    }
    const workers = [0, 1, 2, 3].map(worker)
    const olderThanASecond = () => [...completedAt.values()].filter((at) => at < Date.now() - 1_000).length
    await waitFor(() => olderThanASecond() >= 150 && completedAt.size - olderThanASecond() >= 10, 'traffic before the kill', 30_000)
    // A long stream the kill will cut, stored IN_FLIGHT before the database freezes.
    const cut = fetch(`${first.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-crash', 'x-mock-scenario': 'slow-stream', 'x-mock-delay-ms': '1000', 'x-mock-events': '100' },
      body: JSON.stringify({ model: 'claude-opus-4-5', max_tokens: 32, stream: true, messages: [{ role: 'user', content: 'cut me' }] }),
    }).then((res) => res.text()).catch(() => 'cut')
    const longStream = (url: string) => queryGraphQL(url, graphql('query LongStream { requests(filter: { models: ["claude-opus-4-5"] }) { nodes { id status errorCode } } }'))
    const cutId = (await waitFor(async () => (await longStream(first.url)).requests.nodes[0]?.id, 'the long stream stored IN_FLIGHT', 10_000))
    // Freeze the embedded database so the newest records can only survive through the spool.
    const databasePid = Number(execFileSync('pgrep', ['-P', String(first.child.pid)]).toString().trim().split('\n')[0])
    process.kill(databasePid, 'SIGSTOP')
    const frozenAt = Date.now()
    const completedWhileFrozen = () => [...completedAt.values()].filter((at) => at > frozenAt && at < Date.now() - 1_000).length
    await waitFor(() => completedWhileFrozen() >= 30, 'traffic while the database is frozen', 30_000)
    const killedAt = Date.now()
    first.child.kill('SIGKILL')
    running = false
    await first.exited
    await Promise.all([...workers, cut])
    process.kill(databasePid, 'SIGCONT')
    await waitFor(() => !isAlive(databasePid), 'the orphaned database process to exit', 15_000)

    const second = await startAppProcess(env)
    processes.push(second)
    const promised = [...completedAt].filter(([, at]) => at < killedAt - 1_000).map(([id]) => id)
    expect(promised.length).toBeGreaterThan(100)
    const stored = await waitFor(async () => {
      const ids = await storedCompletedIds(second.url)
      return promised.every((id) => ids.has(id)) ? ids : null
    }, 'every promised record after the replay', 30_000).catch(async () => storedCompletedIds(second.url))
    expect(promised.filter((id) => !stored.has(id))).toEqual([])
    expect(promised.filter((id) => completedAt.get(id)! > frozenAt).length).toBeGreaterThanOrEqual(30)

    const inFlight = async () => (await queryGraphQL(second.url, graphql('query InFlightCount { requests(filter: { statuses: [IN_FLIGHT] }) { totalCount } }'))).requests.totalCount
    await waitFor(async () => (await inFlight()) === 0, 'no record left IN_FLIGHT by the kill', 30_000)
    expect((await longStream(second.url)).requests.nodes).toEqual([{ id: cutId, status: 'ABORTED', errorCode: 'CAPTURE_ORPHANED' }])
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 120_000)
})
