import type { Client } from '@urql/core'
import { ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { problemOf, type OperationProblem } from '../graphql/operation-error'

export interface ServerRead {
  /** Why the last read failed; null once one succeeds. */
  problem: Readonly<ShallowRef<OperationProblem | null>>
  loading: Readonly<Ref<boolean>>
  reload(): Promise<void>
}

/**
 * A section's read of the server: `read` queries with the session's client and keeps what it got;
 * `reload` runs it with `loading` set and its failure kept in `problem`, never thrown. It runs at
 * once, and again whenever the client changes (a token given).
 */
export function useServerRead(read: (client: Client) => Promise<void>): ServerRead & { client: Ref<Client> } {
  const client = useGraphQLClient()
  const problem = shallowRef<OperationProblem | null>(null)
  const loading = ref(false)

  async function reload(): Promise<void> {
    loading.value = true
    try {
      await read(client.value)
      problem.value = null
    } catch (error) {
      problem.value = problemOf(error)
    } finally {
      loading.value = false
    }
  }

  watch(client, () => void reload(), { immediate: true })
  return { client, problem, loading, reload }
}
