/**
 * Titles and the text a Task call's prompt is matched on; what the user typed is read by
 * wire/user-prompt.
 */
import { textsOf } from '../wire/user-prompt'

const REMINDER = /<system-reminder>[\s\S]*?(<\/system-reminder>|$)/g

/** Longest title kept, in characters (whole code points). */
export const TITLE_MAX_CHARS = 200

/** A title from a prompt: its first non-empty line, cut at TITLE_MAX_CHARS code points. */
export function titleOf(prompt: string): string | null {
  const line = prompt.split('\n').find((l) => l.trim() !== '')?.trim()
  if (!line) return null
  const chars = [...line]
  return chars.length <= TITLE_MAX_CHARS ? line : `${chars.slice(0, TITLE_MAX_CHARS - 1).join('')}…`
}

/** Text compared between a Task call's prompt and a subagent's first message: reminders out, whitespace collapsed. */
export function comparableText(content: unknown): string {
  return textsOf(content)
    .map((text) => text.replace(REMINDER, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
}
