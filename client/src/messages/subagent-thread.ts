import type { InjectionKey } from 'vue'

/** Where the thread of the subagent a Task call started can be opened. */
export interface SubagentThreadLink {
  href: string
  label: string
}

/**
 * Provided by views that know conversations: from a Task call's tool_use id to its subagent's
 * thread, or null when none was recorded. Without a provider, Task calls show no link.
 */
export const subagentThreadKey: InjectionKey<(toolUseId: string) => SubagentThreadLink | null> = Symbol('subagent thread')
