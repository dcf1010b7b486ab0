import { ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { dataOrProblem, problemOf, type OperationProblem } from '../graphql/operation-error'
import {
  CREATE_HEADER_RULE,
  DELETE_HEADER_RULE,
  HEADER_RULES,
  REORDER_HEADER_RULES,
  TOGGLE_HEADER_RULE,
  UPDATE_HEADER_RULE,
  type HeaderRule,
  type HeaderRuleInput,
} from '../graphql/settings-documents'

export interface HeaderRules {
  /** In the order they apply; replaced, never mutated. */
  rules: Readonly<ShallowRef<readonly HeaderRule[]>>
  loading: Readonly<Ref<boolean>>
  /** The last failed load, toggle, reorder or delete; a save's problem is thrown to its form instead. */
  problem: Readonly<ShallowRef<OperationProblem | null>>
  reload(): Promise<void>
  /** Throws an OperationError (with the argument the server blamed) when the server refuses it. */
  save(rule: HeaderRuleInput, id: string | null): Promise<HeaderRule>
  toggle(rule: HeaderRule): Promise<void>
  /** Moves a rule to `to` (0-based) and sends the new order; on refusal the server's order is reloaded. */
  move(id: string, to: number): Promise<boolean>
  /** Deletes a rule; returns what `restore` needs to put it back. */
  remove(rule: HeaderRule): Promise<DeletedRule | null>
  restore(deleted: DeletedRule): Promise<void>
}

export interface DeletedRule {
  definition: HeaderRuleInput
  position: number
  header: string
}

/**
 * The header rules as the server keeps them. Every change goes to the server and the list shows
 * what it answered, so the order on screen is always the order the proxy applies.
 */
export function useHeaderRules(): HeaderRules {
  const client = useGraphQLClient()
  const rules = shallowRef<readonly HeaderRule[]>([])
  const loading = ref(false)
  const problem = shallowRef<OperationProblem | null>(null)

  async function attempt<T>(work: () => Promise<T>): Promise<T | null> {
    try {
      const result = await work()
      problem.value = null
      return result
    } catch (error) {
      problem.value = problemOf(error)
      return null
    }
  }

  async function reload(): Promise<void> {
    loading.value = true
    await attempt(async () => {
      rules.value = (await dataOrProblem(client.value.query(HEADER_RULES, {}, { requestPolicy: 'network-only' }).toPromise())).headerRules
    })
    loading.value = false
  }

  function replace(rule: HeaderRule): void {
    rules.value = rules.value.map((candidate) => (candidate.id === rule.id ? rule : candidate))
  }

  watch(client, () => void reload(), { immediate: true })

  return {
    rules,
    loading,
    problem,
    reload,
    async save(rule, id) {
      if (id === null) {
        const created = (await dataOrProblem(client.value.mutation(CREATE_HEADER_RULE, { rule }).toPromise())).createHeaderRule
        rules.value = [...rules.value, created]
        return created
      }
      const updated = (await dataOrProblem(client.value.mutation(UPDATE_HEADER_RULE, { id, rule }).toPromise())).updateHeaderRule
      replace(updated)
      return updated
    },
    async toggle(rule) {
      await attempt(async () => replace((await dataOrProblem(client.value.mutation(TOGGLE_HEADER_RULE, { id: rule.id, enabled: !rule.enabled }).toPromise())).toggleHeaderRule))
    },
    async move(id, to) {
      const from = rules.value.findIndex((rule) => rule.id === id)
      if (from === -1 || to < 0 || to >= rules.value.length || to === from) return false
      const next = rules.value.slice()
      next.splice(to, 0, ...next.splice(from, 1))
      rules.value = next
      const reordered = await attempt(async () => (await dataOrProblem(client.value.mutation(REORDER_HEADER_RULES, { ids: next.map((rule) => rule.id) }).toPromise())).reorderHeaderRules)
      if (reordered === null) {
        await reload()
        return false
      }
      rules.value = reordered
      return true
    },
    async remove(rule) {
      const deleted = await attempt(async () => (await dataOrProblem(client.value.mutation(DELETE_HEADER_RULE, { id: rule.id }).toPromise())).deleteHeaderRule)
      if (deleted === null) return null
      rules.value = rules.value.filter((candidate) => candidate.id !== rule.id)
      return { definition: definitionOf(deleted), position: deleted.position, header: deleted.header }
    },
    async restore(deleted) {
      await attempt(async () => {
        await dataOrProblem(client.value.mutation(CREATE_HEADER_RULE, { rule: deleted.definition, position: deleted.position }).toPromise())
        await reload()
      })
    },
  }
}

/** What a rule does, in the form the mutations take. */
export function definitionOf(rule: HeaderRule): HeaderRuleInput {
  const { scope, header, action, value, find, enabled, pathPrefix, model, description } = rule
  return { scope, header, action, value, find, enabled, pathPrefix, model, description }
}
