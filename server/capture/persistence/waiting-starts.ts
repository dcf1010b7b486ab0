import { performance } from 'node:perf_hooks'
import type { CaptureOp } from '../capture-op'

/**
 * Start ops the full queue refused while the database keeps up, waiting beside the queue for
 * their exchange to end. Holding one costs no memory of its own: its exchange holds the same
 * request body until it ends. Its completion then supersedes it, so an exchange the queue has no
 * room for goes to the spool once, as its final record, instead of twice (a start and a
 * completion, each carrying the body, each written, read back and decoded): under a load the
 * database cannot keep up with, that halves what the spool costs the event loop. A start still
 * waiting after a while (a long stream) goes on to the queue or the spool, so a crash cannot take it.
 */
export class WaitingStarts {
  /** By request id, in the order they began waiting (a Map keeps insertion order). */
  readonly #held = new Map<string, { op: CaptureOp; since: number }>()

  hold(op: CaptureOp): void {
    this.#held.set(op.record.id, { op, since: performance.now() })
  }

  /** The exchange `id` ended: its completion supersedes the start, which no longer needs keeping. */
  drop(id: string): void {
    this.#held.delete(id)
  }

  /** Removes and returns the starts that began waiting before `cutoff` (a performance.now() time), oldest first. */
  takeWaitingBefore(cutoff: number): CaptureOp[] {
    const taken: CaptureOp[] = []
    for (const [id, { op, since }] of this.#held) {
      if (since >= cutoff) break
      this.#held.delete(id)
      taken.push(op)
    }
    return taken
  }
}
