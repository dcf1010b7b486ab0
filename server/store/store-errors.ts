/**
 * Why the store could not be opened or used. Callers branch on `code`:
 * - `STORE_UNREACHABLE`: nothing answered at the DATABASE_URL's host:port (refused, unknown host, timeout).
 * - `STORE_REJECTED`: a server answered but refused us (bad password, missing database, too many clients).
 * - `STORE_MIGRATION_FAILED`: connected, but a pending migration failed; the schema is left as before it.
 * - `EMBEDDED_START_FAILED`: the embedded PGlite process could not start; the message is the child's.
 * - `EMBEDDED_DATA_DIR_LOCKED`: another live process already serves this PGlite data dir.
 */
export type StoreErrorCode =
  | 'STORE_UNREACHABLE'
  | 'STORE_REJECTED'
  | 'STORE_MIGRATION_FAILED'
  | 'EMBEDDED_START_FAILED'
  | 'EMBEDDED_DATA_DIR_LOCKED'

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StoreError'
  }
}
