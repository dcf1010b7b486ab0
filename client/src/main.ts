import urql from '@urql/vue'
import { createApp } from 'vue'
import App from './App.vue'
import { createDashboardSession, dashboardSessionKey } from './graphql/dashboard-session'
import { createDashboardRouter } from './router'
import { createTheme, themeKey } from './composables/use-theme'
import './styles.css'

const session = createDashboardSession({ location: window.location, history: window.history, storage: window.localStorage })

const theme = createTheme({ storage: window.localStorage, prefersDark: window.matchMedia('(prefers-color-scheme: dark)'), root: document.documentElement })

createApp(App).provide(dashboardSessionKey, session).provide(themeKey, theme).use(urql, session.client).use(createDashboardRouter()).mount('#app')
