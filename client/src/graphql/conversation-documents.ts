import { graphql, type ResultOf, type VariablesOf } from './graphql'

/** The conversation pages' GraphQL operations, typed from schema.graphql like documents.ts. */

const CONVERSATION_SUMMARY_FIELDS = graphql(`
  fragment ConversationSummaryFields on Conversation {
    id
    title
    sessionId
    startedAt
    lastActivityAt
    requestCount
    models
    costUsd
    usage {
      inputTokens
      outputTokens
      cacheCreationInputTokens
      cacheReadInputTokens
    }
  }
`)

/** One page of conversations, most recently active first. */
export const CONVERSATIONS_PAGE = graphql(
  `
    query ConversationsPage($filter: ConversationFilter, $first: Int, $after: String) {
      conversations(filter: $filter, first: $first, after: $after) {
        nodes {
          ...ConversationSummaryFields
        }
        pageInfo {
          hasNextPage
          endCursor
        }
        totalCount
      }
    }
  `,
  [CONVERSATION_SUMMARY_FIELDS],
)

/** Any conversation (or the one named) after new turns or totals were stored. */
export const CONVERSATION_UPDATED = graphql(
  `
    subscription ConversationUpdated($id: ID) {
      conversationUpdated(id: $id) {
        ...ConversationSummaryFields
      }
    }
  `,
  [CONVERSATION_SUMMARY_FIELDS],
)

/** One conversation with its threads, their messages, and every turn. */
export const CONVERSATION_DETAIL = graphql(
  `
    query ConversationDetail($id: ID!) {
      conversation(id: $id) {
        ...ConversationSummaryFields
        sessionSource
        threads {
          id
          kind
          parentThreadId
          parentToolUseId
          agentId
          purpose
          startedAt
          lastActivityAt
          requestCount
          messageCount
          messages {
            position
            role
            requestId
            contentText
          }
        }
        turns {
          requestId
          threadId
          startedAt
          completedAt
          model
          path
          status
          stopReason
          ttfbMs
          durationMs
          costUsd
          messageCount
          newMessageCount
          usage {
            inputTokens
            outputTokens
            cacheCreationInputTokens
            cacheReadInputTokens
          }
        }
        cacheMisses {
          requests
          missedTokens
          missCostUsd
          unpricedRequests
          byReason {
            reason
            requests
            missedTokens
            missCostUsd
          }
        }
        requests(first: 200) {
          nodes {
            id
            cacheMiss {
              reason
              causes
              missedTokens
              missCostUsd
              idleSeconds
              ttlSeconds
            }
          }
        }
      }
    }
  `,
  [CONVERSATION_SUMMARY_FIELDS],
)

export type ConversationSummary = ResultOf<typeof CONVERSATION_SUMMARY_FIELDS>
export type ConversationFilter = NonNullable<VariablesOf<typeof CONVERSATIONS_PAGE>['filter']>
export type ConversationsPageData = ResultOf<typeof CONVERSATIONS_PAGE>
export type ConversationsPageVariables = VariablesOf<typeof CONVERSATIONS_PAGE>
export type ConversationUpdatedData = ResultOf<typeof CONVERSATION_UPDATED>
export type ConversationDetail = NonNullable<ResultOf<typeof CONVERSATION_DETAIL>['conversation']>
export type ConversationDetailVariables = VariablesOf<typeof CONVERSATION_DETAIL>
export type ConversationThread = ConversationDetail['threads'][number]
export type ConversationTurn = ConversationDetail['turns'][number]
export type ThreadMessage = ConversationThread['messages'][number]
export type CacheMiss = NonNullable<ConversationDetail['requests']['nodes'][number]['cacheMiss']>
export type CacheMissTotals = ConversationDetail['cacheMisses']
export type CacheMissReason = CacheMiss['reason']
