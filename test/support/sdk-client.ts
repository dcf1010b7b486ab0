/** The official SDK as the tests drive it: a client per base URL, mock scenarios, and its API errors. */
import Anthropic from '@anthropic-ai/sdk'
import { MOCK_HEADERS } from './mock-upstream'

/** An SDK client for `baseURL` that never retries, so each call is exactly one exchange. */
export function sdkClient(baseURL: string, apiKey = 'sk-ant-test'): Anthropic {
  return new Anthropic({ baseURL, apiKey, maxRetries: 0 })
}

/** Request options that ask the mock upstream for scenario `name` (plus any `extra` headers). */
export const scenario = (name: string, extra: Record<string, string> = {}) => ({ headers: { [MOCK_HEADERS.scenario]: name, ...extra } })

/** The SDK's API error that `promise` rejects with; fails when it resolves or rejects otherwise. */
export async function apiErrorOf(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const err = await rejectionOf(promise)
  if (err instanceof Anthropic.APIError) return err
  throw err
}

/** The error `promise` rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
  throw new Error('expected the SDK call to fail')
}

/** Headers that legitimately differ between two answers to the same request. */
const PER_RESPONSE = /^(date|request-id|cf-ray|connection|keep-alive|anthropic-ratelimit-.*-reset)$/

/** Response headers without the per-response ones, so two answers to the same request compare equal. */
export function stableHeaders(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  headers?.forEach((value, name) => {
    if (!PER_RESPONSE.test(name)) out[name] = value
  })
  return out
}
