import type { ApolloServerPlugin } from '@apollo/server'
import { GraphQLError } from 'graphql'

/**
 * Subscriptions are served over graphql-ws only. Over HTTP, Apollo would run one as a query: the
 * subscription resolver gets no event, the non-null field fails and the client sees a masked
 * "Internal server error". This answers 400 with where to go instead (GET is refused by Apollo itself).
 */
export function refuseHttpSubscriptions(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return
          throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          })
        },
      }
    },
  }
}
