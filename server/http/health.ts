import type { IncomingMessage, ServerResponse } from 'node:http'

/** Process-wide operational state shown by /health and /livez. */
export interface Lifecycle {
  /** Set on SIGTERM/SIGINT: /health turns 503 so load balancers stop routing here. */
  draining: boolean
  /** Called once the drain grace has passed: new /v1/* work gets 503, and bodies still arriving are cut. */
  refuseNewWork(): void
  /** Exchanges on /v1/* currently in flight. */
  inFlight(): number
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** 200 `{status:"healthy"}`, or 503 `{status:"draining"}` once draining has begun. */
export function handleHealth(lifecycle: Lifecycle) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    const timestamp = new Date().toISOString()
    if (lifecycle.draining) sendJson(res, 503, { status: 'draining', in_flight: lifecycle.inFlight(), timestamp })
    else sendJson(res, 200, { status: 'healthy', timestamp })
  }
}

/** A gauge, not a verdict: always 200 while the process answers. */
export function handleLivez(lifecycle: Lifecycle) {
  return (_req: IncomingMessage, res: ServerResponse) =>
    sendJson(res, 200, {
      status: lifecycle.draining ? 'draining' : 'ok',
      in_flight: lifecycle.inFlight(),
      draining: lifecycle.draining,
      timestamp: new Date().toISOString(),
    })
}

export { sendJson }
