import { onScopeDispose, ref, type Ref } from 'vue'

/** The dashboard's colours (styles.css variables) that drawings outside CSS need, e.g. charts. */
export interface ThemeColors {
  text: string
  textMuted: string
  border: string
  surface: string
  accent: string
}

function readColors(): ThemeColors {
  const style = getComputedStyle(document.documentElement)
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  return {
    text: read('--text', '#1f1e1c'),
    textMuted: read('--text-muted', '#5f5d57'),
    border: read('--border', '#dcdad3'),
    surface: read('--surface', '#ffffff'),
    accent: read('--accent', '#b4532a'),
  }
}

/** The current colours, read again when the viewer's system switches between light and dark. */
export function useThemeColors(): Readonly<Ref<ThemeColors>> {
  const colors = ref(readColors())
  const scheme = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null
  const update = () => {
    colors.value = readColors()
  }
  scheme?.addEventListener('change', update)
  onScopeDispose(() => scheme?.removeEventListener('change', update))
  return colors
}
