import { describe, expect, it } from 'vitest'
import { coalesceOps, opBytes, NO_CHUNKS } from '../../server/capture/capture-op'
import { BoundedQueue } from '../../server/capture/persistence/queue'
import { chunksOf, completeOp, inFlightRecord, startOp } from './records'

const roomy = () => new BoundedQueue({ maxItems: 100, maxBytes: 10 * 1024 * 1024 })

describe('BoundedQueue', () => {
  it('hands ops out oldest first, at most the number asked for', () => {
    const queue = roomy()
    const ops = [1, 2, 3].map(() => startOp(inFlightRecord()))
    for (const op of ops) expect(queue.offer(op)).toBe(true)
    expect(queue.take(2)).toEqual(ops.slice(0, 2))
    expect(queue.take(10)).toEqual(ops.slice(2))
    expect(queue.depth).toBe(0)
    expect(queue.bytes).toBe(0)
  })

  it('replaces a queued start with its completion so only one row insert happens', () => {
    const queue = roomy()
    const record = inFlightRecord()
    const other = startOp(inFlightRecord())
    queue.offer(startOp(record))
    queue.offer(other)
    const completion = completeOp(record, {}, chunksOf(record.id, 3))
    queue.offer(completion)
    expect(queue.depth).toBe(2)
    expect(queue.bytes).toBe(opBytes(completion) + opBytes(other))
    expect(queue.take(10)).toEqual([completion, other])
  })

  it('never lets a start replace a queued completion', () => {
    const queue = roomy()
    const record = inFlightRecord()
    const completion = completeOp(record)
    queue.offer(completion)
    expect(queue.offer(startOp(record))).toBe(true)
    expect(queue.take(10)).toEqual([completion])
  })

  it('drops and counts ops past the item bound', () => {
    const queue = new BoundedQueue({ maxItems: 2, maxBytes: 10 * 1024 * 1024 })
    const results = [1, 2, 3, 4].map(() => queue.offer(startOp(inFlightRecord())))
    expect(results).toEqual([true, true, false, false])
    expect(queue.depth).toBe(2)
    expect(queue.refused).toBe(2)
  })

  it('drops and counts ops past the byte bound, and accepts again once drained', () => {
    const big = () => startOp(inFlightRecord({ requestBody: 'x'.repeat(40_000) }))
    const queue = new BoundedQueue({ maxItems: 100, maxBytes: 100_000 })
    expect([queue.offer(big()), queue.offer(big()), queue.offer(big())]).toEqual([true, true, false])
    expect(queue.refused).toBe(1)
    expect(queue.bytes).toBeLessThanOrEqual(100_000)
    queue.take(1)
    expect(queue.offer(big())).toBe(true)
  })

  it('drops a completion that would cross the byte bound while keeping its queued start', () => {
    const record = inFlightRecord()
    const queue = new BoundedQueue({ maxItems: 100, maxBytes: opBytes(startOp(record)) + 1000 })
    queue.offer(startOp(record))
    expect(queue.offer(completeOp(record, { responseBody: 'y'.repeat(5000) }))).toBe(false)
    expect(queue.refused).toBe(1)
    expect(queue.take(10)).toEqual([startOp(record)])
  })

  it('stops a batch at the byte limit but always hands out at least one op', () => {
    const queue = roomy()
    const ops = [1, 2, 3].map(() => startOp(inFlightRecord({ requestBody: 'z'.repeat(10_000) })))
    for (const op of ops) queue.offer(op)
    expect(queue.take(10, 5_000)).toEqual([ops[0]])
    expect(queue.take(10, opBytes(ops[1]) * 2)).toEqual([ops[1], ops[2]])
  })

  it('puts a failed batch back in front, in order, even past its bounds', () => {
    const queue = new BoundedQueue({ maxItems: 2, maxBytes: 10 * 1024 * 1024 })
    const batch = [startOp(inFlightRecord()), startOp(inFlightRecord())]
    for (const op of batch) queue.offer(op)
    queue.take(2)
    const newer = [startOp(inFlightRecord()), startOp(inFlightRecord())]
    for (const op of newer) queue.offer(op)
    queue.requeue(batch)
    expect(queue.depth).toBe(4)
    expect(queue.offer(startOp(inFlightRecord()))).toBe(false)
    expect(queue.take(10)).toEqual([...batch, ...newer])
  })

  it('skips a requeued start whose completion arrived meanwhile', () => {
    const queue = roomy()
    const record = inFlightRecord()
    queue.offer(startOp(record))
    const inFlightBatch = queue.take(10)
    const completion = completeOp(record)
    queue.offer(completion)
    queue.requeue(inFlightBatch)
    expect(queue.take(10)).toEqual([completion])
  })

  it('wakes a waiting consumer when the first op arrives', async () => {
    const queue = roomy()
    let woken = false
    const waiting = queue.whenNotEmpty().then(() => (woken = true))
    await Promise.resolve()
    expect(woken).toBe(false)
    queue.offer(startOp(inFlightRecord()))
    await waiting
    expect(woken).toBe(true)
  })

  it("tells a waiter once a batch's worth is held: by count, by bytes (a completion growing its start in place counts), at once when it already is", async () => {
    const settled = (promise: Promise<void>) => {
      const state = { done: false }
      void promise.then(() => (state.done = true))
      return state
    }
    const tick = () => new Promise(setImmediate)

    const byCount = roomy()
    const two = settled(byCount.whenHolds(2, Number.POSITIVE_INFINITY))
    byCount.offer(startOp(inFlightRecord()))
    await tick()
    expect(two.done).toBe(false)
    byCount.offer(startOp(inFlightRecord()))
    await tick()
    expect(two.done).toBe(true)

    const record = inFlightRecord()
    const byBytes = roomy()
    byBytes.offer(startOp(record))
    const grown = settled(byBytes.whenHolds(100, byBytes.bytes + 1))
    await tick()
    expect(grown.done).toBe(false)
    byBytes.offer(completeOp(record, {}, chunksOf(record.id, 3)))
    await tick()
    expect(grown.done).toBe(true)
    // Already held: at once.
    await expect(byBytes.whenHolds(1, Number.POSITIVE_INFINITY)).resolves.toBeUndefined()
  })
})

describe('coalesceOps', () => {
  it('keeps one op per request in a batch, a completion over its start, so a multi-row upsert never touches a row twice', () => {
    const a = inFlightRecord()
    const b = inFlightRecord()
    const start = { kind: 'start' as const, record: a }
    const complete = { kind: 'complete' as const, record: { ...a, status: 'COMPLETED' as const }, chunks: NO_CHUNKS }
    const other = { kind: 'start' as const, record: b }
    expect(coalesceOps([start, other, complete])).toEqual([complete, other])
    expect(coalesceOps([complete, start])).toEqual([complete])
  })
})
