import type { ClaudescopeApi } from './claudescope-api'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The count of complete records once earlier requests' records have all landed (unchanged for a second). */
export async function settledCount(api: ClaudescopeApi): Promise<number> {
  let last = await api.completedCount()
  for (;;) {
    await sleep(1000)
    const now = await api.completedCount()
    if (now === last) return now
    last = now
  }
}

/** The count of complete records once it reaches `expected`, or whatever it is after `timeoutMs`. */
export async function countWhenStored(api: ClaudescopeApi, expected: number, timeoutMs = Number(process.env.BENCH_STORED_TIMEOUT_MS ?? 120_000)): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let count = await api.completedCount()
  while (count < expected && Date.now() < deadline) {
    await sleep(250)
    count = await api.completedCount()
  }
  return count
}
