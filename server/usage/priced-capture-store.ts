import type { CaptureOp } from '../records/capture-op'
import type { CaptureStore } from '../store/capture-store'
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
 * costed just before the batch is written, off the forwarding path. A batch written while the
 * book changed (a price was set meanwhile, or the book had not loaded yet) may carry costs of the
 * old one and may have been committed after the re-cost passed over its rows: its records are
 * costed again with the new book.
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

/** A completion with its cost; the op the recorder handed over is left as it was. */
function priceOp(op: CaptureOp, book: PriceBook): CaptureOp {
  if (op.kind !== 'complete' || op.record.status === 'IN_FLIGHT') return op
  return { ...op, record: { ...op.record, ...costOf(op.record, book) } }
}
