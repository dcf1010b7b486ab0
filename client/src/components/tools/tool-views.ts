import type { Component } from 'vue'
import ToolBash from './ToolBash.vue'
import ToolEditDiff from './ToolEditDiff.vue'
import ToolJsonInput from './ToolJsonInput.vue'
import ToolRead from './ToolRead.vue'
import ToolSearch from './ToolSearch.vue'
import ToolTask from './ToolTask.vue'
import ToolTodoWrite from './ToolTodoWrite.vue'
import ToolWrite from './ToolWrite.vue'

/** Claude Code's tools that have a view of their own, by tool name; the rest show their JSON input. */
const VIEWS: Record<string, Component> = {
  Edit: ToolEditDiff,
  MultiEdit: ToolEditDiff,
  Write: ToolWrite,
  Read: ToolRead,
  Bash: ToolBash,
  Grep: ToolSearch,
  Glob: ToolSearch,
  Task: ToolTask,
  TodoWrite: ToolTodoWrite,
}

export function toolView(name: string | null): Component {
  return (name !== null && Object.hasOwn(VIEWS, name) ? VIEWS[name] : undefined) ?? ToolJsonInput
}
