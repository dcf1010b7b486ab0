import { setImmediate } from 'node:timers/promises'
import type { DataSource } from 'typeorm'
import { afterEach, describe, expect, it } from 'vitest'
import { RetentionService } from '../../server/retention/retention.service'
import { scheduleRetention, type RetentionSchedule } from '../../server/retention/retention-schedule'
import { openStore } from '../../server/store/data-source'
import { createRetentionStore, type PruneResult } from '../../server/store/retention-store'
import { captureLogger } from '../support/capture-logger'
import { makeRecord } from '../support/record-fixtures'
import { backdateRecords, storeRecords } from '../support/stored-records'
import { createTestDatabase, type TestDatabase } from '../support/test-database'
import { Changes, Gate } from '../support/wait'

const FIRST_DELAY_MS = 60_000
const INTERVAL_MS = 3_600_000

/** Timers the test fires by hand: what the schedule asked for, in order. */
class FakeTimers {
  readonly started: Array<{ delayMs: number; fire(): void; cancelled: boolean }> = []
  readonly changes = new Changes()

  readonly startTimer = (run: () => void, delayMs: number) => {
    const timer = { delayMs, fire: run, cancelled: false }
    this.started.push(timer)
    this.changes.changed()
    return () => {
      timer.cancelled = true
    }
  }

  /** Resolves with the `count`th timer started. */
  nth(count: number) {
    return this.changes.until(() => this.started[count - 1], `timer ${count} to be started`)
  }
}

const RESULT: PruneResult = { cutoff: new Date('2026-01-01T00:00:00Z'), requestsDeleted: 3, contentsDeleted: 4, telemetryDeleted: 0 }

const schedules: RetentionSchedule[] = []
afterEach(() => {
  for (const schedule of schedules.splice(0)) schedule.stop()
})

function start(prune: () => Promise<PruneResult>, timers: FakeTimers, logger = captureLogger().logger): RetentionSchedule {
  const schedule = scheduleRetention({ prune, logger, firstDelayMs: FIRST_DELAY_MS, intervalMs: INTERVAL_MS, startTimer: timers.startTimer })
  schedules.push(schedule)
  return schedule
}

describe('the retention schedule', () => {
  it('prunes first after the start delay, then again an interval after each prune has ended', async () => {
    const timers = new FakeTimers()
    const gates: Gate[] = []
    const changes = new Changes()
    start(async () => {
      const gate = new Gate()
      gates.push(gate)
      changes.changed()
      await gate.opened
      return RESULT
    }, timers)

    expect((await timers.nth(1)).delayMs).toBe(FIRST_DELAY_MS)
    expect(gates).toHaveLength(0)
    timers.started[0]!.fire()
    await changes.until(() => gates.length === 1, 'the first prune')
    expect(timers.started).toHaveLength(1)
    gates[0]!.open()

    expect((await timers.nth(2)).delayMs).toBe(INTERVAL_MS)
    timers.started[1]!.fire()
    await changes.until(() => gates.length === 2, 'the second prune')
  })

  it('logs a failed prune and schedules the next one all the same', async () => {
    const timers = new FakeTimers()
    const { logger, lines } = captureLogger()
    start(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')), timers, logger)

    ;(await timers.nth(1)).fire()

    expect((await timers.nth(2)).delayMs).toBe(INTERVAL_MS)
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('pruning old records failed'), err: expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:5432' }) }))
  })

  it('cancels the next prune when stopped, and schedules none after a prune that ends once stopped', async () => {
    const timers = new FakeTimers()
    const gate = new Gate()
    const pruned = new Changes()
    let prunes = 0
    const schedule = start(async () => {
      prunes++
      pruned.changed()
      await gate.opened
      return RESULT
    }, timers)
    ;(await timers.nth(1)).fire()
    await pruned.until(() => prunes === 1, 'the first prune')

    schedule.stop()
    gate.open()
    // A turn of the event loop: the prune's end and whatever follows it run in microtasks before it.
    await setImmediate()

    expect(timers.started).toHaveLength(1)
    const idle = new FakeTimers()
    start(() => Promise.resolve(RESULT), idle).stop()
    expect((await idle.nth(1)).cancelled).toBe(true)
  })
})

describe('the retention schedule on a database', () => {
  let database: TestDatabase | undefined
  let dataSource: DataSource | undefined
  afterEach(async () => {
    await dataSource?.destroy().catch(() => undefined)
    await database?.drop()
    database = dataSource = undefined
  })

  it('deletes old records when its prune comes, and keeps going when the database is gone', async () => {
    database = await createTestDatabase()
    dataSource = await openStore(database.url)
    const old = makeRecord({ startedAt: new Date() })
    const recent = makeRecord({ startedAt: new Date() })
    await storeRecords(dataSource, [old])
    await backdateRecords(dataSource, [old.id], 8)
    await storeRecords(dataSource, [recent])
    const { logger, lines } = captureLogger()
    const service = new RetentionService({ store: createRetentionStore(dataSource), retentionDays: 7, logger })
    const timers = new FakeTimers()
    start(() => service.prune(), timers, logger)

    ;(await timers.nth(1)).fire()
    await timers.nth(2)
    const ids = (await dataSource.query('SELECT id FROM requests')) as Array<{ id: string }>
    expect(ids.map((row) => row.id)).toEqual([recent.id])
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: 'pruned records older than the retention period', days: 7, requestsDeleted: 1 }))

    await database.drop()
    database = undefined
    timers.started[1]!.fire()
    await timers.nth(3)
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('pruning old records failed') }))
    expect(service.stats()).toMatchObject({ runs: 2, failedRuns: 1, requestsDeleted: 1 })
  })
})
