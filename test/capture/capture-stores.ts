/**
 * Capture stores around a real one, for tests of how capture meets a database that hangs or is
 * down: the rows that do get written are written by the real store.
 */
import type { CaptureStore } from '../../server/store/capture-store'

/** A gate the test shuts and opens; while shut, every batch write waits before reaching `store`. */
export interface GatedCaptureStore {
  store: CaptureStore
  /** Holds the batch writes that begin from now on (open at first). */
  shut(): void
  /** Lets the held writes, and later ones, through. */
  open(): void
}

export function gatedCaptureStore(store: CaptureStore): GatedCaptureStore {
  let gate = Promise.resolve()
  let release = () => {}
  return {
    store: {
      ...store,
      async writeBatch(ops, isStartStored) {
        await gate
        return store.writeBatch(ops, isStartStored)
      },
    },
    shut: () => {
      gate = new Promise<void>((resolve) => (release = resolve))
    },
    open: () => release(),
  }
}

/** `store` with its database unreachable: every call fails with the connection refusal the store counts as transient. */
export function unreachableCaptureStore(store: CaptureStore): CaptureStore {
  const refuse = async (): Promise<never> => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))
  return { ...store, writeBatch: refuse, heartbeat: refuse, sweepOrphans: refuse, forgetStaleRuns: refuse }
}
