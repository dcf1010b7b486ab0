import { computed, onScopeDispose, shallowRef, type ComputedRef, type ShallowRef } from 'vue'
import { formatBytes } from '../format'
import { formatQuantity } from '../format-usage'
import { CAPTURE_HEALTH, type CaptureHealth } from '../graphql/documents'
import { dataOrProblem, type OperationProblem } from '../graphql/operation-error'
import { useServerRead } from './use-server-read'

/** How often the header asks whether capture keeps up. */
const POLL_MS = 5_000

export interface CaptureState {
  /** ok: every record reaches the database; warning: records wait or were set aside; problem: records lost, or no answer. */
  level: 'ok' | 'warning' | 'problem'
  summary: string
}

/**
 * What the header says of capture, worst first: no answer from Claudescope (the figures read
 * before are stale then), records lost, records quarantined, records waiting on disk for the
 * database, database writes failing since the read before (`failedBefore`), stopping; else all
 * is well.
 */
export function captureStateOf(health: CaptureHealth | null, problem: OperationProblem | null, failedBefore: number | null): CaptureState {
  if (problem !== null) return { level: 'problem', summary: 'No answer from Claudescope' }
  if (health === null) return { level: 'warning', summary: 'Capture…' }
  const { capture } = health
  if (capture.lost > 0) return { level: 'problem', summary: `${formatQuantity(capture.lost, 'record')} lost` }
  if (capture.quarantined > 0) return { level: 'warning', summary: `${formatQuantity(capture.quarantined, 'record')} quarantined` }
  if (capture.spoolBytes > 0) return { level: 'warning', summary: `Database behind: ${formatBytes(capture.spoolBytes)} on disk` }
  if (failedBefore !== null && capture.failedBatches > failedBefore) return { level: 'warning', summary: 'Database writes failing, retrying' }
  if (health.status === 'draining') return { level: 'warning', summary: 'Stopping' }
  return { level: 'ok', summary: 'Capturing' }
}

export interface CaptureHealthView {
  health: Readonly<ShallowRef<CaptureHealth | null>>
  state: ComputedRef<CaptureState>
  problem: Readonly<ShallowRef<OperationProblem | null>>
}

/** This instance's capture figures, read now and every five seconds while the page is shown. */
export function useCaptureHealth(): CaptureHealthView {
  const health = shallowRef<CaptureHealth | null>(null)
  const failedBefore = shallowRef<number | null>(null)
  const { problem, reload } = useServerRead(async (client) => {
    const next = (await dataOrProblem(client.query(CAPTURE_HEALTH, {}, { requestPolicy: 'network-only' }).toPromise())).health
    failedBefore.value = health.value?.capture.failedBatches ?? null
    health.value = next
  })
  const timer = setInterval(() => {
    if (document.visibilityState !== 'hidden') void reload()
  }, POLL_MS)
  onScopeDispose(() => clearInterval(timer))
  return { health, problem, state: computed(() => captureStateOf(health.value, problem.value, failedBefore.value)) }
}
