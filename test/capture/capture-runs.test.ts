import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { CaptureOp } from '../../server/capture/capture-op'
import { CaptureRuns } from '../../server/capture/persistence/capture-runs'
import { ORPHANED_ERROR_CODE } from '../../server/records/orphaned-record'
import { buildBatchStatements } from '../../server/store/batch-statements'
import { createCaptureStore } from '../../server/store/capture-store'
import { waitFor } from '../support/wait'
import { useMigratedStore } from '../support/test-database'
import { completeOp, inFlightRecord, startOp } from './records'

const logger = pino({ level: 'silent' })
const store = useMigratedStore()
const opened: { runs: CaptureRuns; dataDir: string }[] = []

afterEach(async () => {
  for (const { runs, dataDir } of opened.splice(0)) {
    await runs.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

/** A started run on a fresh data directory (or the one given); beats every 50 ms. */
function startRuns(dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-runs-'))): CaptureRuns {
  const runs = new CaptureRuns({ store: createCaptureStore(store.dataSource), dataDir, logger, heartbeatMs: 50, staleAfterMs: 60_000 })
  runs.start()
  opened.push({ runs, dataDir })
  return runs
}

async function write(ops: CaptureOp[]): Promise<void> {
  for (const statement of buildBatchStatements(ops).statements) await store.dataSource.query(statement.text, statement.values)
}

async function addRun(id: string, lastSeenSecondsAgo: number): Promise<void> {
  await store.dataSource.query(`INSERT INTO capture_runs (id, started_at, last_seen_at) VALUES ($1, now() - interval '1 hour', now() - make_interval(secs => $2))`, [id, lastSeenSecondsAgo])
}

async function row(id: string): Promise<{ status: string; error_code: string | null; error: string | null; run_id: string | null }> {
  const rows = (await store.dataSource.query('SELECT status, error_code, error, run_id FROM requests WHERE id = $1', [id])) as { status: string; error_code: string | null; error: string | null; run_id: string | null }[]
  return rows[0]!
}

describe('capture runs', () => {
  it('keeps its run alive in capture_runs and names it in the DATA_DIR', async () => {
    const runs = startRuns()
    const dataDir = opened.at(-1)!.dataDir
    await waitFor(async () => ((await store.dataSource.query('SELECT 1 FROM capture_runs WHERE id = $1', [runs.id])) as unknown[]).length === 1, 'the run row', 5_000)
    expect(readFileSync(path.join(dataDir, 'capture-run'), 'utf8')).toBe(runs.id)
    const lastSeen = async () => ((await store.dataSource.query('SELECT last_seen_at FROM capture_runs WHERE id = $1', [runs.id])) as { last_seen_at: Date }[])[0]!.last_seen_at.getTime()
    const first = await lastSeen()
    await waitFor(async () => (await lastSeen()) > first, 'a later heartbeat', 5_000)
  })

  it('marks the in-flight records of a run that stopped beating ABORTED, and leaves those of a live run in flight', async () => {
    const deadRun = randomUUID()
    await addRun(deadRun, 600)
    const runs = startRuns()
    const orphan = inFlightRecord({ runId: deadRun })
    const running = inFlightRecord({ runId: runs.id })
    const finished = completeOp(inFlightRecord({ runId: deadRun }))
    await write([startOp(orphan), startOp(running), finished])

    await waitFor(async () => (await row(orphan.id)).status === 'ABORTED', 'the orphan swept', 5_000)
    expect(await row(orphan.id)).toMatchObject({ error_code: ORPHANED_ERROR_CODE, error: expect.stringContaining('stopped before this exchange ended') })
    expect((await row(running.id)).status).toBe('IN_FLIGHT')
    expect((await row(finished.record.id)).status).toBe('COMPLETED')
    // The dead run's row goes once its records are closed.
    await waitFor(async () => ((await store.dataSource.query('SELECT 1 FROM capture_runs WHERE id = $1', [deadRun])) as unknown[]).length === 0, 'the dead run row removed', 5_000)
  })

  it('closes what the previous process on the same DATA_DIR left in flight at once, however recently it beat', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-runs-'))
    const previousRun = randomUUID()
    writeFileSync(path.join(dataDir, 'capture-run'), previousRun)
    await addRun(previousRun, 0)
    const left = inFlightRecord({ runId: previousRun })
    await write([startOp(left)])
    const runs = startRuns(dataDir)
    await waitFor(async () => (await row(left.id)).status === 'ABORTED', 'the previous run swept', 5_000)
    expect(readFileSync(path.join(dataDir, 'capture-run'), 'utf8')).toBe(runs.id)
  })

  it('closes in-flight records that name no run (written before runs existed)', async () => {
    startRuns()
    const old = inFlightRecord({ runId: null })
    await write([startOp(old)])
    await waitFor(async () => (await row(old.id)).status === 'ABORTED', 'the run-less record swept', 5_000)
  })

  it('lets a completion replayed after the sweep complete the record, once', async () => {
    const deadRun = randomUUID()
    await addRun(deadRun, 600)
    startRuns()
    const record = inFlightRecord({ runId: deadRun })
    await write([startOp(record)])
    await waitFor(async () => (await row(record.id)).status === 'ABORTED', 'the orphan swept', 5_000)

    await write([completeOp(record, { stopReason: 'end_turn' })])
    expect(await row(record.id)).toMatchObject({ status: 'COMPLETED', error_code: null, error: null, run_id: deadRun })
    await write([completeOp(record, { status: 'FAILED', error: 'a second completion' })])
    expect((await row(record.id)).status).toBe('COMPLETED')
  })
})
