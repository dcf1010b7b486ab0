/**
 * `error_code` of a record whose capture run ended before its exchange did: the store's sweep
 * closes such records, and a completion replayed later still overrides them.
 */
export const ORPHANED_ERROR_CODE = 'CAPTURE_ORPHANED'

/** `error` of such a record. */
export const ORPHANED_MESSAGE = 'Claudescope stopped before this exchange ended (the process was killed or crashed); how it ended was not recorded'
