import { computed, ref, watchEffect, type ComputedRef, type InjectionKey, type Ref } from 'vue'

export type Theme = 'light' | 'dark'

/** localStorage key of the theme the viewer chose; absent means follow the system. */
export const THEME_STORAGE_KEY = 'claudescope.theme'

export interface ThemeEnvironment {
  storage: Pick<Storage, 'getItem' | 'setItem'>
  /** The system's dark-mode query, followed while the viewer has not chosen. */
  prefersDark: Pick<MediaQueryList, 'matches' | 'addEventListener'>
  /** Receives `data-theme`, which styles.css keys its colours on. */
  root: HTMLElement
}

export interface ThemeControl {
  theme: ComputedRef<Theme>
  /** The viewer's own choice; null while following the system. */
  chosen: Readonly<Ref<Theme | null>>
  toggle(): void
}

/**
 * Light or dark: the system's preference until the viewer picks one with the header toggle, and
 * that pick from then on (kept in localStorage). Applied as `data-theme` on the root element.
 */
export function createTheme(env: ThemeEnvironment): ThemeControl {
  const stored = env.storage.getItem(THEME_STORAGE_KEY)
  const chosen = ref<Theme | null>(stored === 'light' || stored === 'dark' ? stored : null)
  const systemDark = ref(env.prefersDark.matches)
  env.prefersDark.addEventListener('change', (event) => {
    systemDark.value = (event as MediaQueryListEvent).matches
  })
  const theme = computed<Theme>(() => chosen.value ?? (systemDark.value ? 'dark' : 'light'))
  watchEffect(() => {
    env.root.dataset.theme = theme.value
  })
  return {
    theme,
    chosen,
    toggle() {
      chosen.value = theme.value === 'dark' ? 'light' : 'dark'
      env.storage.setItem(THEME_STORAGE_KEY, chosen.value)
    },
  }
}

export const themeKey: InjectionKey<ThemeControl> = Symbol('theme')
