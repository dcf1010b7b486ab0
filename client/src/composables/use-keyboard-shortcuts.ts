import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import type { Router } from 'vue-router'

/** How long after `g` the page key may follow. */
const SEQUENCE_MS = 1500

export interface PageShortcut {
  /** Keys as typed, e.g. `g r`. */
  keys: string
  label: string
  to: string
}

/** `g` then the first letter of each page's name: g r Requests, g c Conversations, g u Usage, g s Settings. */
export function pageShortcuts(pages: readonly { to: string; label: string }[]): PageShortcut[] {
  return pages.map((page) => ({ keys: `g ${page.label[0]!.toLowerCase()}`, label: page.label, to: page.to }))
}

/** Typing in these never triggers a shortcut. */
function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null
}

/**
 * Global keys: `g` + a page letter goes to that page, `?` opens the list of shortcuts, Escape
 * closes it. Ignored while typing in a field or with Ctrl, Meta or Alt held, so no browser or
 * screen-reader key is taken.
 */
export function useKeyboardShortcuts(router: Router, shortcuts: readonly PageShortcut[]): { helpOpen: Ref<boolean> } {
  const helpOpen = ref(false)
  let pendingSince: number | null = null

  function onKeydown(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTextEntry(event.target)) return
    if (event.key === 'Escape' && helpOpen.value) {
      helpOpen.value = false
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
  }

  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))
  return { helpOpen }
}
