import { shallowRef, type ShallowRef } from 'vue'
import { dataOrProblem } from '../graphql/operation-error'
import { PRUNE_RECORDS, STORAGE_AND_RETENTION, type PruneResult, type Retention, type Storage } from '../graphql/settings-documents'
import { useServerRead, type ServerRead } from './use-server-read'

export interface StorageAndRetention extends ServerRead {
  /** Null until first read. */
  storage: Readonly<ShallowRef<Storage | null>>
  retention: Readonly<ShallowRef<Retention | null>>
  /** Deletes the records older than `olderThanDays` days now, then reads the space and retention again. Throws the server's refusal. */
  prune(olderThanDays: number): Promise<PruneResult>
}

/** The space the database takes and how long records are kept, with pruning by hand. */
export function useStorage(): StorageAndRetention {
  const storage = shallowRef<Storage | null>(null)
  const retention = shallowRef<Retention | null>(null)
  const { client, problem, loading, reload } = useServerRead(async (client) => {
    const data = await dataOrProblem(client.query(STORAGE_AND_RETENTION, {}, { requestPolicy: 'network-only' }).toPromise())
    storage.value = data.storage
    retention.value = data.retention
  })

  return {
    storage,
    retention,
    problem,
    loading,
    reload,
    async prune(olderThanDays) {
      try {
        return (await dataOrProblem(client.value.mutation(PRUNE_RECORDS, { olderThanDays }).toPromise())).pruneRecords
      } finally {
        // What went, or the failure, shows in the retention figures too.
        await reload()
      }
    },
  }
}
