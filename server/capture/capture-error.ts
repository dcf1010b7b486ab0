/** Stable codes for failures capture reports (never thrown into the proxy). */
export type CaptureErrorCode =
  /** `<DATA_DIR>/install-secret` exists but is not 32 bytes. */
  | 'INSTALL_SECRET_INVALID'
  /** `flush()` gave up before the queue drained (the database stayed unreachable). */
  | 'CAPTURE_FLUSH_TIMEOUT'
  /** Another live process uses `<DATA_DIR>/spool`: two would replay and delete each other's segments. */
  | 'SPOOL_LOCKED'

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'CaptureError'
  }
}
