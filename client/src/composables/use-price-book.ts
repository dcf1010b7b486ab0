import { ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { dataOrProblem, problemOf, type OperationProblem } from '../graphql/operation-error'
import type { JsonValue } from '../graphql/graphql'
import { EXPORT_SETTINGS, IMPORT_SETTINGS, PRICE_BOOK, SET_PRICE, type Price, type PriceInput } from '../graphql/settings-documents'

/** How far back the models without a price are looked for. */
const UNPRICED_LOOKBACK_MS = 30 * 24 * 3600 * 1000

export interface PriceBook {
  prices: Readonly<ShallowRef<readonly Price[]>>
  /** Models with requests in the last 30 days and no price: their cost is unknown, never $0. */
  unpricedModels: Readonly<ShallowRef<readonly string[]>>
  problem: Readonly<ShallowRef<OperationProblem | null>>
  loading: Readonly<Ref<boolean>>
  reload(): Promise<void>
  /** Sets an override; returns how many finished requests were re-costed. Throws the server's refusal. */
  setPrice(price: PriceInput): Promise<number>
  /** Removes one override so the shipped price applies again; the models it touched are re-costed by the server. */
  clearOverride(price: Price): Promise<void>
}

/**
 * The price book and its overrides. The API has no mutation that removes one override, so clearing
 * goes through importSettings with the exported overrides less that one: the same validation,
 * audit and re-costing as any import, in one transaction.
 */
export function usePriceBook(): PriceBook {
  const client = useGraphQLClient()
  const prices = shallowRef<readonly Price[]>([])
  const unpricedModels = shallowRef<readonly string[]>([])
  const problem = shallowRef<OperationProblem | null>(null)
  const loading = ref(false)

  async function reload(): Promise<void> {
    loading.value = true
    try {
      const to = new Date()
      const range = { from: new Date(to.getTime() - UNPRICED_LOOKBACK_MS).toISOString(), to: to.toISOString() }
      const data = await dataOrProblem(client.value.query(PRICE_BOOK, { range }, { requestPolicy: 'network-only' }).toPromise())
      prices.value = data.prices
      unpricedModels.value = data.usage.unpricedModels
      problem.value = null
    } catch (error) {
      problem.value = problemOf(error)
    } finally {
      loading.value = false
    }
  }

  watch(client, () => void reload(), { immediate: true })

  return {
    prices,
    unpricedModels,
    problem,
    loading,
    reload,
    async setPrice(price) {
      const { recostedRequests } = (await dataOrProblem(client.value.mutation(SET_PRICE, { price }).toPromise())).setPrice
      await reload()
      return recostedRequests
    },
    async clearOverride(price) {
      const document = (await dataOrProblem(client.value.query(EXPORT_SETTINGS, {}, { requestPolicy: 'network-only' }).toPromise())).exportSettings as { [key: string]: JsonValue }
      const overrides = Array.isArray(document.prices) ? (document.prices as Array<{ [key: string]: JsonValue }>) : []
      const kept = overrides.filter(
        (override) => !(override.model === price.model && sameInstant(override.effectiveFrom, price.effectiveFrom) && Number(override.minInputTokens ?? 0) === price.minInputTokens),
      )
      await dataOrProblem(client.value.mutation(IMPORT_SETTINGS, { document: { format: document.format ?? null, version: document.version ?? null, prices: kept } }).toPromise())
      await reload()
    },
  }
}

function sameInstant(a: unknown, b: string): boolean {
  return typeof a === 'string' && new Date(a).getTime() === new Date(b).getTime()
}
