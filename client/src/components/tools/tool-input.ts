import type { JsonObject } from '../../messages/content'

/** What every tool view receives: the call's input (an object; other inputs go to the JSON view) and its id. */
export interface ToolViewProps {
  input: JsonObject
  toolUseId: string | null
}
