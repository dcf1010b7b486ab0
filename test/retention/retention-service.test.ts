import { describe, expect, it } from 'vitest'
import { UserInputError } from '../../server/graphql/errors'
import { RetentionService } from '../../server/retention/retention.service'
import type { PruneOptions, PruneResult, RetentionStore } from '../../server/store/retention-store'
import { captureLogger } from '../support/capture-logger'
import { Changes, Gate } from '../support/wait'

/** A store whose prunes wait for the test to open their gate, recording each call. */
class FakeStore implements RetentionStore {
  readonly calls: Array<{ days: number; options: PruneOptions | undefined; gate: Gate }> = []
  running = 0
  mostAtOnce = 0
  readonly changes = new Changes()

  constructor(private readonly outcome: (days: number, options: PruneOptions | undefined) => PruneResult = (days) => resultFor(days)) {}

  async prune(days: number, options?: PruneOptions): Promise<PruneResult> {
    const gate = new Gate()
    this.calls.push({ days, options, gate })
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.running)
    this.changes.changed()
    try {
      await Promise.race([gate.opened, aborted(options?.signal)])
      return this.outcome(days, options)
    } finally {
      this.running--
    }
  }

  /** Resolves once the store has been called `count` times. */
  called(count: number) {
    return this.changes.until(() => this.calls.length >= count, `${count} prunes to reach the store`)
  }
}

const resultFor = (days: number): PruneResult => ({ cutoff: new Date(Date.UTC(2026, 0, 1) - days * 86_400_000), requestsDeleted: days, contentsDeleted: 2 * days, telemetryDeleted: 0 })

const aborted = (signal: AbortSignal | undefined) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }))

function serviceOver(store: RetentionStore, retentionDays?: number) {
  return new RetentionService({ store, retentionDays, logger: captureLogger().logger })
}

async function refusal(promise: Promise<unknown>): Promise<UserInputError> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(UserInputError)
  return error as UserInputError
}

describe('the retention service', () => {
  it('prunes RETENTION_DAYS when no period is given, and the period given otherwise', async () => {
    const store = new FakeStore()
    const service = serviceOver(store, 30)
    const defaulted = service.prune()
    await store.called(1)
    store.calls[0]!.gate.open()
    expect(await defaulted).toEqual(resultFor(30))

    const given = service.prune(7)
    await store.called(2)
    store.calls[1]!.gate.open()
    expect(await given).toEqual(resultFor(7))
  })

  it('refuses a missing period when RETENTION_DAYS is unset, and a period out of range, naming olderThanDays', async () => {
    const service = serviceOver(new FakeStore())

    const missing = await refusal(service.prune())
    expect(missing.code).toBe('RETENTION_PERIOD_REQUIRED')
    expect(missing.message).toBe('olderThanDays is required: RETENTION_DAYS is not set on this server')
    for (const days of [0, -1, 36_501]) {
      const outOfRange = await refusal(service.prune(days))
      expect(outOfRange.code).toBe('RETENTION_PERIOD_OUT_OF_RANGE')
      expect(outOfRange.message).toBe(`olderThanDays must be a whole number of days from 1 to 36500 (got ${days})`)
      expect(outOfRange.extensions).toMatchObject({ argument: 'olderThanDays' })
    }
  })

  it('shares the prune in progress with a second call for the same period', async () => {
    const store = new FakeStore()
    const service = serviceOver(store, 30)
    const first = service.prune()
    const second = service.prune(30)
    await store.called(1)
    store.calls[0]!.gate.open()

    expect(await second).toEqual(await first)
    expect(store.calls).toHaveLength(1)
  })

  it('runs a call for another period after the prune in progress, never two at once', async () => {
    const store = new FakeStore()
    const service = serviceOver(store, 30)
    const first = service.prune()
    const other = service.prune(7)
    const third = service.prune(7)
    await store.called(1)
    store.calls[0]!.gate.open()
    await first
    await store.called(2)
    store.calls[1]!.gate.open()

    expect(await other).toEqual(resultFor(7))
    expect(await third).toEqual(resultFor(7))
    expect(store.calls.map((call) => call.days)).toEqual([30, 7])
    expect(store.mostAtOnce).toBe(1)
  })

  it('starts afresh once a prune has ended, and after one that failed', async () => {
    let fails = true
    const store = new FakeStore((days) => {
      if (fails) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
      return resultFor(days)
    })
    const service = serviceOver(store, 30)
    const failed = service.prune()
    await store.called(1)
    store.calls[0]!.gate.open()
    await expect(failed).rejects.toThrow('ECONNREFUSED')

    fails = false
    const next = service.prune()
    await store.called(2)
    store.calls[1]!.gate.open()
    expect(await next).toEqual(resultFor(30))
  })

  it('counts the prunes, those that failed, and every batch deleted, a failed prune’s included', async () => {
    const store = new FakeStore((days, options) => {
      options?.onBatch?.({ requestsDeleted: 5, contentsDeleted: 0, telemetryDeleted: 0 })
      options?.onBatch?.({ requestsDeleted: 0, contentsDeleted: 3, telemetryDeleted: 0 })
      if (days === 1) throw new Error('the database went away')
      return resultFor(days)
    })
    const service = serviceOver(store, 30)
    const ok = service.prune()
    await store.called(1)
    store.calls[0]!.gate.open()
    await ok
    const failed = service.prune(1)
    await store.called(2)
    store.calls[1]!.gate.open()
    await failed.catch(() => undefined)

    expect(service.stats()).toEqual({ runs: 2, failedRuns: 1, requestsDeleted: 10, contentsDeleted: 6 })
  })

  it('stops the prune in progress between two batches on close, and refuses to start another', async () => {
    const store = new FakeStore()
    const service = serviceOver(store, 30)
    const running = service.prune()
    await store.called(1)

    await service.close()

    expect(store.calls[0]!.options?.signal?.aborted).toBe(true)
    expect(await running).toEqual(resultFor(30))
    await expect(service.prune()).rejects.toThrow('Retention has stopped: the server is shutting down')
    expect(store.calls).toHaveLength(1)
  })
  it('tells how pruning stands: the period in force, whether one runs, the last prune and the last failure until a prune finishes', async () => {
    let fails = true
    const store = new FakeStore((days) => {
      if (fails) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
      return resultFor(days)
    })
    const service = serviceOver(store, 30)
    expect(service.status()).toEqual({ retentionDays: 30, pruning: false, lastPrune: null, lastFailure: null })

    const failing = service.prune(7).catch(() => undefined)
    await store.called(1)
    expect(service.status().pruning).toBe(true)
    store.calls[0]!.gate.open()
    await failing
    expect(service.status()).toEqual({ retentionDays: 30, pruning: false, lastPrune: null, lastFailure: { olderThanDays: 7, failedAt: expect.any(Date), message: 'connect ECONNREFUSED 127.0.0.1:5432' } })

    fails = false
    const passing = service.prune()
    await store.called(2)
    store.calls[1]!.gate.open()
    await passing
    expect(service.status()).toEqual({ retentionDays: 30, pruning: false, lastPrune: { olderThanDays: 30, finishedAt: expect.any(Date), deleted: resultFor(30) }, lastFailure: null })
    expect(serviceOver(new FakeStore()).status().retentionDays).toBeNull()
  })
})
