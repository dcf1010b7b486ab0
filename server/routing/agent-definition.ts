/**
 * Claude Code subagent definitions (`.claude/agents/<name>.md`: YAML front matter between `---`
 * lines, then the prompt) and how a request's system prompt is recognised as one of them. Pure.
 *
 * Claude Code sends the subagent's prompt as (part of) a system block, with its own text around
 * it that changes between versions. So the match does not depend on how many blocks there are or
 * where the prompt sits among them: a request belongs to a subagent when its system text, with
 * line endings and runs of whitespace made uniform, contains that subagent's whole prompt made
 * uniform the same way. The longest prompt that matches wins, so an agent whose prompt contains
 * another's is still told apart.
 */
import { isJsonObject } from '../wire/json-object'

/** The prompt of an agent definition file: everything after the front matter, trimmed. `---` lines in the prompt are prompt. */
export function agentPrompt(fileText: string): string {
  const text = fileText.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const lines = text.split('\n')
  if (lines[0]?.trim() !== '---') return text.trim()
  const close = lines.findIndex((line, i) => i > 0 && line.trim() === '---')
  // An unclosed front matter is no front matter Claude Code would accept; keep the text whole.
  if (close === -1) return text.trim()
  return lines.slice(close + 1).join('\n').trim()
}

/** Text with CRLF, tabs and runs of whitespace made one space, so formatting changes do not break a match. */
export function uniformText(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** A request's `system` (a string or text blocks) as one uniform text. */
export function uniformSystemText(system: unknown): string {
  if (typeof system === 'string') return uniformText(system)
  if (!Array.isArray(system)) return ''
  return uniformText(system.map((block) => (isJsonObject(block) && typeof block.text === 'string' ? block.text : '')).join('\n'))
}

/** Agents by name with their uniform prompt; empty prompts never match. */
export type AgentPrompts = ReadonlyMap<string, string>

/** The subagent whose whole prompt the system text contains (the longest such prompt), or null. */
export function matchSubagent(system: unknown, prompts: AgentPrompts): string | null {
  if (prompts.size === 0) return null
  const text = uniformSystemText(system)
  let best: string | null = null
  let bestLength = 0
  for (const [name, prompt] of prompts) {
    if (prompt.length > bestLength && text.includes(prompt)) {
      best = name
      bestLength = prompt.length
    }
  }
  return best
}
