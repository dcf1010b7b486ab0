import { graphql, type ResultOf, type VariablesOf } from './graphql'

/**
 * The Settings page's GraphQL operations: header rules, prices, settings export/import and their
 * audit, storage and retention. Checked against schema.graphql like documents.ts (see test/client/settings-documents.test.ts).
 */

const HEADER_RULE_FIELDS = graphql(`
  fragment HeaderRuleFields on HeaderRule {
    id
    position
    scope
    header
    action
    value
    find
    enabled
    pathPrefix
    model
    description
    updatedAt
  }
`)

/** Every header rule, in the order they apply. */
export const HEADER_RULES = graphql(
  `
    query HeaderRules {
      headerRules {
        ...HeaderRuleFields
      }
    }
  `,
  [HEADER_RULE_FIELDS],
)

export const CREATE_HEADER_RULE = graphql(
  `
    mutation CreateHeaderRule($rule: HeaderRuleInput!, $position: Int) {
      createHeaderRule(rule: $rule, position: $position) {
        ...HeaderRuleFields
      }
    }
  `,
  [HEADER_RULE_FIELDS],
)

export const UPDATE_HEADER_RULE = graphql(
  `
    mutation UpdateHeaderRule($id: ID!, $rule: HeaderRuleInput!) {
      updateHeaderRule(id: $id, rule: $rule) {
        ...HeaderRuleFields
      }
    }
  `,
  [HEADER_RULE_FIELDS],
)

export const TOGGLE_HEADER_RULE = graphql(
  `
    mutation ToggleHeaderRule($id: ID!, $enabled: Boolean) {
      toggleHeaderRule(id: $id, enabled: $enabled) {
        ...HeaderRuleFields
      }
    }
  `,
  [HEADER_RULE_FIELDS],
)

export const REORDER_HEADER_RULES = graphql(
  `
    mutation ReorderHeaderRules($ids: [ID!]!) {
      reorderHeaderRules(ids: $ids) {
        ...HeaderRuleFields
      }
    }
  `,
  [HEADER_RULE_FIELDS],
)

export const DELETE_HEADER_RULE = graphql(
  `
    mutation DeleteHeaderRule($id: ID!) {
      deleteHeaderRule(id: $id) {
        ...HeaderRuleFields
      }
    }
  `,
  [HEADER_RULE_FIELDS],
)

/** What the rules in force would do to one recorded request. */
export const DRY_RUN_HEADER_RULES = graphql(`
  query DryRunHeaderRules($requestId: ID!) {
    dryRunHeaderRules(requestId: $requestId) {
      requestId
      requestHeadersBefore
      requestHeadersAfter
      responseHeadersBefore
      responseHeadersAfter
      fired {
        id
        scope
        header
        action
      }
    }
  }
`)

/** Recent requests to pick one for a dry run. */
export const RECENT_REQUESTS = graphql(`
  query RecentRequests($first: Int) {
    requests(first: $first) {
      nodes {
        id
        startedAt
        method
        path
        model
        httpStatus
      }
    }
  }
`)

const PRICE_FIELDS = graphql(`
  fragment PriceFields on Price {
    id
    model
    effectiveFrom
    minInputTokens
    inputUsdPerMTok
    outputUsdPerMTok
    cacheWrite5mUsdPerMTok
    cacheWrite1hUsdPerMTok
    cacheReadUsdPerMTok
    batchMultiplier
    webSearchUsdPerThousand
    source
    note
  }
`)

/** The price book in force, and the models seen lately that it has no price for. */
export const PRICE_BOOK = graphql(
  `
    query PriceBook($range: TimeRange!) {
      prices {
        ...PriceFields
      }
      usage(range: $range) {
        unpricedModels
      }
    }
  `,
  [PRICE_FIELDS],
)

export const SET_PRICE = graphql(
  `
    mutation SetPrice($price: PriceInput!) {
      setPrice(price: $price) {
        price {
          ...PriceFields
        }
        recostedRequests
      }
    }
  `,
  [PRICE_FIELDS],
)

export const EXPORT_SETTINGS = graphql(`
  query ExportSettings {
    exportSettings
  }
`)

export const IMPORT_SETTINGS = graphql(`
  mutation ImportSettings($document: JSON!) {
    importSettings(document: $document)
  }
`)

/** The audit trail, newest first. */
export const SETTINGS_CHANGES = graphql(`
  query SettingsChanges($first: Int) {
    settingsChanges(first: $first) {
      id
      changedAt
      section
      action
      summary
      clientAddress
      userAgent
    }
  }
`)

export type HeaderRule = ResultOf<typeof HEADER_RULE_FIELDS>
export type HeaderRuleInput = VariablesOf<typeof CREATE_HEADER_RULE>['rule']
export type HeaderRuleScope = HeaderRule['scope']
export type HeaderRuleAction = HeaderRule['action']
export type HeaderRulesDryRun = ResultOf<typeof DRY_RUN_HEADER_RULES>['dryRunHeaderRules']
export type RecentRequest = ResultOf<typeof RECENT_REQUESTS>['requests']['nodes'][number]
export type Price = ResultOf<typeof PRICE_FIELDS>
/** Removes one override (model, date and tier as the price book lists them). */
export const CLEAR_PRICE = graphql(
  `
    mutation ClearPrice($model: String!, $effectiveFrom: DateTime!, $minInputTokens: SafeInt!) {
      clearPrice(model: $model, effectiveFrom: $effectiveFrom, minInputTokens: $minInputTokens) {
        price {
          ...PriceFields
        }
        recostedRequests
      }
    }
  `,
  [PRICE_FIELDS],
)

export type PriceInput = VariablesOf<typeof SET_PRICE>['price']
export type PriceBookData = ResultOf<typeof PRICE_BOOK>
export type SetPriceData = ResultOf<typeof SET_PRICE>
export type SettingsChange = ResultOf<typeof SETTINGS_CHANGES>['settingsChanges'][number]

const PRUNE_RESULT_FIELDS = graphql(`
  fragment PruneResultFields on PruneResult {
    requestsDeleted
    contentsDeleted
    telemetryDeleted
    cutoff
  }
`)

/** Space the database takes, and how long records are kept. */
export const STORAGE_AND_RETENTION = graphql(
  `
    query StorageAndRetention {
      storage {
        databaseBytes
        tables {
          name
          totalBytes
          indexBytes
          rows
          rowsExact
        }
      }
      retention {
        retentionDays
        pruning
        lastPrune {
          olderThanDays
          finishedAt
          deleted {
            ...PruneResultFields
          }
        }
        lastFailure {
          olderThanDays
          failedAt
          message
        }
      }
    }
  `,
  [PRUNE_RESULT_FIELDS],
)

export const PRUNE_RECORDS = graphql(
  `
    mutation PruneRecords($olderThanDays: Int) {
      pruneRecords(olderThanDays: $olderThanDays) {
        ...PruneResultFields
      }
    }
  `,
  [PRUNE_RESULT_FIELDS],
)

export type Storage = ResultOf<typeof STORAGE_AND_RETENTION>['storage']
export type TableStorage = Storage['tables'][number]
export type Retention = ResultOf<typeof STORAGE_AND_RETENTION>['retention']
export type PruneResult = ResultOf<typeof PRUNE_RESULT_FIELDS>
