import type { InjectionKey, Ref } from 'vue'
import { isBlock, stringField, type ContentBlock, type RequestMessage } from './content'

/** A tool call and the result the client sent back for it. */
export interface ToolPair {
  use: ContentBlock
  result: ContentBlock
}

/** Pairs by tool_use id; blocks rendered inside a request look their partner up here. */
export type ToolPairs = ReadonlyMap<string, ToolPair>

/** Provided by a request's message list, live as its body changes; absent elsewhere (a response has no results). */
export const toolPairsKey: InjectionKey<Readonly<Ref<ToolPairs>>> = Symbol('tool pairs')

/**
 * Matches each assistant `tool_use` with the `tool_result` of the same id in the next user
 * message, which is where the API requires it. A call without a result (the last turn, or a
 * truncated history) and a result without its call stay unpaired and render on their own.
 */
export function pairToolCalls(messages: readonly RequestMessage[]): ToolPairs {
  const pairs = new Map<string, ToolPair>()
  messages.forEach((message, index) => {
    const next = messages[index + 1]
    if (message.role !== 'assistant' || next?.role !== 'user') return
    const results = new Map<string, ContentBlock>()
    for (const block of next.blocks) {
      const id = isBlock(block) && block.type === 'tool_result' ? stringField(block, 'tool_use_id') : null
      if (id !== null && isBlock(block)) results.set(id, block)
    }
    for (const block of message.blocks) {
      const id = isBlock(block) && block.type === 'tool_use' ? stringField(block, 'id') : null
      const result = id === null ? undefined : results.get(id)
      if (id !== null && result && isBlock(block)) pairs.set(id, { use: block, result })
    }
  })
  return pairs
}

/** Element id of a rendered tool call, so its result can point back to it. */
export function callAnchor(toolUseId: string): string {
  return `tool-use-${toolUseId}`
}
