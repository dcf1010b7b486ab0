import { shallowRef, type ShallowRef } from 'vue'
import { dataOrProblem } from '../graphql/operation-error'
import { CLEAR_PRICE, PRICE_BOOK, SET_PRICE, type Price, type PriceInput } from '../graphql/settings-documents'
import { useServerRead, type ServerRead } from './use-server-read'

/** How far back the models without a price are looked for. */
const UNPRICED_LOOKBACK_MS = 30 * 24 * 3600 * 1000

export interface PriceBook extends ServerRead {
  prices: Readonly<ShallowRef<readonly Price[]>>
  /** Models with requests in the last 30 days and no price: their cost is unknown, never $0. */
  unpricedModels: Readonly<ShallowRef<readonly string[]>>
  /** Sets an override; returns how many finished requests were re-costed. Throws the server's refusal. */
  setPrice(price: PriceInput): Promise<number>
  /** Removes one override so the shipped price applies again; the models it touched are re-costed by the server. */
  clearOverride(price: Price): Promise<void>
}

/** The price book and its overrides, with the models seen lately that have no price. */
export function usePriceBook(): PriceBook {
  const prices = shallowRef<readonly Price[]>([])
  const unpricedModels = shallowRef<readonly string[]>([])
  const { client, problem, loading, reload } = useServerRead(async (client) => {
    const to = new Date()
    const range = { from: new Date(to.getTime() - UNPRICED_LOOKBACK_MS).toISOString(), to: to.toISOString() }
    const data = await dataOrProblem(client.query(PRICE_BOOK, { range }, { requestPolicy: 'network-only' }).toPromise())
    prices.value = data.prices
    unpricedModels.value = data.usage.unpricedModels
  })

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
      await dataOrProblem(client.value.mutation(CLEAR_PRICE, { model: price.model, effectiveFrom: price.effectiveFrom, minInputTokens: price.minInputTokens }).toPromise())
      await reload()
    },
  }
}

