import { onBeforeUnmount, onMounted } from 'vue'

/** A key's handler; it returns false when it did not act, so the key keeps its usual effect. */
export type ShortcutHandler = (event: KeyboardEvent) => boolean | void

/**
 * Single-key shortcuts (`j`, `ArrowDown`, `Escape`, …) for the whole page while the component is
 * mounted. Keys typed into a field, and keys with Ctrl, Alt or Meta, are left alone, so shortcuts
 * never steal typing or the browser's own commands.
 */
export function useKeyboardShortcuts(handlers: Record<string, ShortcutHandler>): void {
  const onKeydown = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || isTyping(event.target)) return
    const handler = Object.hasOwn(handlers, event.key) ? handlers[event.key] : undefined
    if (handler && handler(event) !== false) event.preventDefault()
  }
  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))
}

/** Inputs that take no typing: a shortcut pressed while one has focus still acts. */
const CLICKED_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'])

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target instanceof HTMLInputElement) return !CLICKED_INPUTS.has(target.type)
  return target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement
}
