/** A run of user text: what the person wrote, or a reminder Claude Code inserted for the model. */
export interface TextSegment {
  kind: 'text' | 'reminder'
  text: string
}

const REMINDER = /<system-reminder>([\s\S]*?)<\/system-reminder>/g

/**
 * Splits text around Claude Code's `<system-reminder>` elements, so the reminders (often longer
 * than the prompt itself) can be shown collapsed. Whitespace-only runs between them are dropped.
 */
export function splitSystemReminders(text: string): TextSegment[] {
  const segments: TextSegment[] = []
  let last = 0
  for (const match of text.matchAll(REMINDER)) {
    pushText(segments, text.slice(last, match.index))
    segments.push({ kind: 'reminder', text: (match[1] ?? '').trim() })
    last = match.index + match[0].length
  }
  pushText(segments, text.slice(last))
  return segments
}

function pushText(segments: TextSegment[], text: string): void {
  if (text.trim() !== '') segments.push({ kind: 'text', text })
}
