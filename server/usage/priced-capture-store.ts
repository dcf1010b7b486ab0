import type { CaptureOp } from '../records/capture-op'
import type { CaptureStore } from '../store/capture-store'
import { costOf } from './cost'
import type { PriceBook } from './price-book'

/**
 * The capture store with pricing in front of its writes: each finished record of a batch is
 * costed just before the batch is written, off the forwarding path, with the book `currentBook`
 * returns. While it returns null (the overrides not loaded yet) records are written unpriced, and
 * the prices service costs them once it can (see PricesService.costUnpriced).
 */
export function withPricing(store: CaptureStore, currentBook: () => PriceBook | null): CaptureStore {
  return {
    writeBatch(ops, isStartStored) {
      const book = currentBook()
      return store.writeBatch(book === null ? ops : ops.map((op) => priceOp(op, book)), isStartStored)
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
