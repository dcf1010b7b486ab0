import type { CaptureOp } from '../records/capture-op'
import type { RequestRecord } from '../records/request-record'
import type { CaptureStore } from '../store/capture-store'
import { recordWith } from '../records/request-body'
import { costOf } from './cost'
import type { PriceBook } from './price-book'

/** Where the writer's pricing gets its book (PricesService). */
export interface PricingSource {
  /** The book in force; null until it could be loaded. */
  current(): PriceBook | null
  /** Costs the finished records `ids` again with the book in force, soon, beside capture. Never throws. */
  recostLater(ids: readonly string[]): void
}

/**
 * The capture store with pricing in front of its writes: each finished record of a batch is
 * costed just before the batch is written, off the forwarding path, unless capture costed it with
 * the book still in force. A batch written while the book changed (a price was set meanwhile, or
 * the book had not loaded yet) may carry costs of the old one and may have been committed after
 * the re-cost passed over its rows: its records are costed again with the new book.
 */
export function withPricing(store: CaptureStore, prices: PricingSource): CaptureStore {
  return {
    async writeBatch(ops, isStartStored) {
      const book = prices.current()
      await store.writeBatch(book === null ? ops : ops.map((op) => priceOp(op, book)), isStartStored)
      if (prices.current() !== book) prices.recostLater(ops.filter((op) => op.kind === 'complete').map((op) => op.record.id))
    },
    isTransient: (err) => store.isTransient(err),
    heartbeat: (runId, previousRunId) => store.heartbeat(runId, previousRunId),
    sweepOrphans: (staleAfterS) => store.sweepOrphans(staleAfterS),
    forgetStaleRuns: (staleAfterS) => store.forgetStaleRuns(staleAfterS),
  }
}

/**
 * The book each record `recordPricer` returned was costed with: the writer need not cost it again
 * when that book is still in force. Records read back from the spool are not here, and are costed.
 */
const costedWith = new WeakMap<RequestRecord, PriceBook>()

/** A completion with its cost; the op the recorder handed over is left as it was. */
function priceOp(op: CaptureOp, book: PriceBook): CaptureOp {
  return op.kind === 'complete' && costedWith.get(op.record) !== book ? { ...op, record: pricedRecord(op.record, book) } : op
}

/** A finished record with its cost from `book` (a new object); an in-flight one as it is. */
function pricedRecord(record: RequestRecord, book: PriceBook): RequestRecord {
  return record.status === 'IN_FLIGHT' ? record : recordWith(record, costOf(record, book))
}

/**
 * Prices a finished record with the book in force, for capture to publish it live with its cost
 * (the writer prices it again when it stores it only if the book changed meanwhile). Without a
 * book yet, the record is left unpriced. A few bigint products per finished exchange, once its
 * response has ended.
 */
export function recordPricer(prices: Pick<PricingSource, 'current'>): (record: RequestRecord) => RequestRecord {
  return (record) => {
    const book = prices.current()
    if (book === null) return record
    const priced = pricedRecord(record, book)
    costedWith.set(priced, book)
    return priced
  }
}
