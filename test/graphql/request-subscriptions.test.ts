import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StreamChunkRecord } from '../../server/records/request-record'
import { createMemoryBus } from '../../server/live/memory-bus'
import { liveChunks, streamChunks } from '../../server/requests/request-subscriptions'
import { RequestsService } from '../../server/requests/requests.service'
import { chunkEvent, inFlight, makeRecord, requestEvent } from '../support/record-fixtures'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'

async function drain(iterator: AsyncIterator<StreamChunkRecord>): Promise<number[]> {
  const seqs: number[] = []
  for (let result = await iterator.next(); !result.done; result = await iterator.next()) seqs.push(result.value.seq)
  return seqs
}

describe('request subscriptions on the live bus', () => {
  let harness: GraphQLHarness
  let requests: RequestsService
  beforeAll(async () => {
    harness = await startGraphQLHarness()
    requests = new RequestsService(harness.dataSource)
  })
  afterAll(() => harness.close())

  it('yields every chunk exactly once when chunks arrive between subscribing and reading the backlog', async () => {
    const bus = createMemoryBus()
    const record = makeRecord()
    bus.publish(requestEvent(inFlight(record)))
    for (const seq of [0, 1]) bus.publish(chunkEvent(record, seq))
    const chunks = streamChunks(bus, requests, record.id)
    // Published after subscribing but before the first read: in both the backlog and the live buffer.
    for (const seq of [2, 3]) bus.publish(chunkEvent(record, seq))
    const first = await chunks.next()
    for (const seq of [4, 5]) bus.publish(chunkEvent(record, seq))
    bus.publish(requestEvent(record))
    expect([first.value?.seq, ...(await drain(chunks))]).toEqual([0, 1, 2, 3, 4, 5])
    expect(bus.subscriberCount).toBe(0)
    await bus.close()
  })

  it('frees the bus subscription at once when returned while waiting for a chunk', async () => {
    const bus = createMemoryBus()
    const record = makeRecord()
    bus.publish(requestEvent(inFlight(record)))
    const chunks = streamChunks(bus, requests, record.id)
    const waiting = chunks.next()
    await chunks.return!()
    await expect(waiting).resolves.toEqual({ value: undefined, done: true })
    expect(bus.subscriberCount).toBe(0)
    await bus.close()
  })

  it('frees the bus subscription when the request turns out not to exist', async () => {
    const bus = createMemoryBus()
    const chunks = streamChunks(bus, requests, makeRecord().id)
    await expect(chunks.next()).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' })
    expect(bus.subscriberCount).toBe(0)
    await bus.close()
  })

  it('matches chunks of a request that started before subscribing on the fields a chunk carries', async () => {
    const bus = createMemoryBus()
    const early = makeRecord({ model: 'claude-haiku-4-5' })
    bus.publish(requestEvent(inFlight(early)))
    const byModel = liveChunks(bus, { models: ['claude-haiku-4-5'] })
    const bySearch = liveChunks(bus, { search: 'hello' })
    bus.publish(chunkEvent(early, 0))
    expect((await byModel.next()).value).toMatchObject({ requestId: early.id, seq: 0 })
    // The body was never seen by this subscription, so a body condition cannot hold.
    const later = makeRecord()
    bus.publish(requestEvent(inFlight(later)))
    bus.publish(chunkEvent(later, 0))
    expect((await bySearch.next()).value).toMatchObject({ requestId: later.id, seq: 0 })
    await byModel.return!()
    await bySearch.return!()
    expect(bus.subscriberCount).toBe(0)
    await bus.close()
  })
})
