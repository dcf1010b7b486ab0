import urql from '@urql/vue'
import { createApp } from 'vue'
import App from './App.vue'
import { createDashboardSession, dashboardSessionKey } from './graphql/dashboard-session'
import { createDashboardRouter } from './router'
import './styles.css'

const session = createDashboardSession({ location: window.location, history: window.history, storage: window.localStorage })

createApp(App).provide(dashboardSessionKey, session).use(urql, session.client).use(createDashboardRouter()).mount('#app')
