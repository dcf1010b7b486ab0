import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { BoundedQueue } from '../../server/capture/persistence/queue'
import { BatchWriter } from '../../server/capture/persistence/writer'
import { createCaptureStore } from '../../server/store/capture-store'
import { completeOp, inFlightRecord, startOp } from '../capture/records'
import { useMigratedStore } from '../support/test-database'

const logger = pino({ level: 'silent' })
const MiB = 1024 * 1024

const store = useMigratedStore()

/** Text of `bytes` printable ASCII characters, different on every call. */
function bodyOf(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes)
}

/**
 * Small parameterised queries on other pool connections until `stop()`, as the dashboard and the
 * writer's own bookkeeping run them beside a big write: each one is a Parse, Bind and Execute of
 * its own on the same database session as the big statement's.
 */
function queryAlongside() {
  let stopped = false
  let queries = 0
  const loops = [1, 2].map(async (n) => {
    while (!stopped) {
      await store.dataSource.query('SELECT count(*)::int + $1::int AS n FROM requests', [n])
      queries++
    }
  })
  return {
    get queries() {
      return queries
    },
    async stop() {
      stopped = true
      await Promise.all(loops)
    },
  }
}

describe('large records', () => {
  it('writes records with 4, 16 and 40 MiB bodies, and a 64 MiB request with a 16 MiB response, and reads them back equal while other connections query', { timeout: 180_000 }, async () => {
    const queue = new BoundedQueue({ maxItems: 100, maxBytes: 512 * MiB })
    const writer = new BatchWriter({ store: createCaptureStore(store.dataSource), queue, logger, retryInitialMs: 10, retryMaxMs: 50 })
    writer.start()
    const others = queryAlongside()
    try {
      // The largest request body the proxy accepts (MAX_BODY_BYTES) is stored whole, beside the most kept of a response body (16 MiB).
      const sizes = [[4 * MiB, 4 * MiB], [16 * MiB, 16 * MiB], [40 * MiB, 40 * MiB], [64 * MiB, 16 * MiB]] as const
      for (const [requestSize, responseSize] of sizes) {
        const requestBody = bodyOf(requestSize)
        const record = inFlightRecord({ requestBody, requestBodyBytes: requestSize, requestBodyIsJson: false })
        const responseBody = bodyOf(responseSize)
        expect(queue.offer(startOp(record))).toBe(true)
        expect(queue.offer(completeOp(record, { responseBody, responseBodyBytes: responseSize }))).toBe(true)
        await writer.flush(120_000)
        const rows: { status: string; request_body: string; request_body_content_ids: null; response_body: string }[] = await store.dataSource.query(
          'SELECT status, request_body, request_body_content_ids, response_body FROM requests WHERE id = $1',
          [record.id],
        )
        expect(rows).toHaveLength(1)
        expect(rows[0]!.status).toBe('COMPLETED')
        expect(rows[0]!.request_body.length).toBe(requestSize)
        expect(rows[0]!.request_body === requestBody).toBe(true)
        expect(rows[0]!.response_body.length).toBe(responseSize)
        expect(rows[0]!.response_body === responseBody).toBe(true)
      }
      expect(writer.stats).toMatchObject({ reduced: 0, quarantined: 0, rejected: 0 })
      // The queries really ran beside the writes.
      expect(others.queries).toBeGreaterThan(0)
    } finally {
      await others.stop()
      await writer.close()
    }
  })
})
