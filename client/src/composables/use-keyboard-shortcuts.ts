import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import type { Router } from 'vue-router'

/** A key's handler; it returns false when it did not act, so the key keeps its usual effect. */
export type ShortcutHandler = (event: KeyboardEvent) => boolean | void

/** How long after `g` the page key may follow. */
const SEQUENCE_MS = 1500

export interface PageShortcut {
  /** Keys as typed, e.g. `g r`. */
  keys: string
  label: string
  to: string
}

/** Inputs that take no typing: a shortcut pressed while one has focus still acts. */
const CLICKED_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'])

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target instanceof HTMLInputElement) return !CLICKED_INPUTS.has(target.type)
  return target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement
}

/** Keys typed into a field, and keys with Ctrl, Alt or Meta, are never shortcuts: typing and the browser's own commands stay as they are. */
function isShortcutCandidate(event: KeyboardEvent): boolean {
  return !(event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || isTyping(event.target))
}

/** Listens on the whole page while the calling component is mounted. */
function onPageKeydown(listener: (event: KeyboardEvent) => void): void {
  const guarded = (event: KeyboardEvent) => {
    if (isShortcutCandidate(event)) listener(event)
  }
  onMounted(() => window.addEventListener('keydown', guarded))
  onBeforeUnmount(() => window.removeEventListener('keydown', guarded))
}

/** Single-key shortcuts (`j`, `ArrowDown`, `Escape`, …) for the whole page while the component is mounted. */
export function useKeyboardShortcuts(handlers: Record<string, ShortcutHandler>): void {
  onPageKeydown((event) => {
    const handler = Object.hasOwn(handlers, event.key) ? handlers[event.key] : undefined
    if (handler && handler(event) !== false) event.preventDefault()
  })
}

/** `g` then the first letter of each page's name: g r Requests, g c Conversations, g u Usage, g s Settings. */
export function pageShortcuts(pages: readonly { to: string; label: string }[]): PageShortcut[] {
  return pages.map((page) => ({ keys: `g ${page.label[0]!.toLowerCase()}`, label: page.label, to: page.to }))
}

/** `g` + a page letter goes to that page, `?` opens the list of shortcuts, Escape closes it. */
export function usePageShortcuts(router: Router, shortcuts: readonly PageShortcut[]): { helpOpen: Ref<boolean> } {
  const helpOpen = ref(false)
  let pendingSince: number | null = null

  onPageKeydown((event) => {
    if (event.key === 'Escape' && helpOpen.value) {
      helpOpen.value = false
      event.preventDefault()
      return
    }
    if (event.key === '?') {
      helpOpen.value = !helpOpen.value
      event.preventDefault()
      return
    }
    const now = event.timeStamp
    if (pendingSince !== null && now - pendingSince <= SEQUENCE_MS) {
      pendingSince = null
      const shortcut = shortcuts.find((candidate) => candidate.keys === `g ${event.key.toLowerCase()}`)
      if (shortcut) {
        event.preventDefault()
        helpOpen.value = false
        void router.push(shortcut.to)
      }
      return
    }
    pendingSince = event.key === 'g' ? now : null
  })
  return { helpOpen }
}
