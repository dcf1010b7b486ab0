import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * A turn's facts, as a conversation's totals read them, from its request `r` or, for a turn
 * imported from a transcript, its imported turn `i`. A turn is unpriced when it finished without a
 * cost (an unknown model, or not priced yet), or when neither row is there.
 */
const TURN_FACTS = `COALESCE(r.started_at, i.started_at) AS started_at,
  COALESCE(r.completed_at, r.started_at, i.completed_at, i.started_at) AS last_activity_at, COALESCE(r.model, i.model) AS model,
  COALESCE(r.input_tokens, i.input_tokens, 0) AS input_tokens, COALESCE(r.output_tokens, i.output_tokens, 0) AS output_tokens,
  COALESCE(r.cache_creation_input_tokens, i.cache_creation_input_tokens, 0) AS cache_creation_input_tokens,
  COALESCE(r.cache_read_input_tokens, i.cache_read_input_tokens, 0) AS cache_read_input_tokens, COALESCE(r.cost_usd, i.cost_usd, 0) AS cost_usd,
  (COALESCE(r.status <> 'IN_FLIGHT', true) AND COALESCE(r.cost_status, i.cost_status, 'UNKNOWN_MODEL') = 'UNKNOWN_MODEL')::integer AS unpriced,
  (i.id IS NOT NULL)::integer AS imported`

/**
 * The request (or imported turn) of each turn `cr`. The start names the one weekly partition to look
 * in; on the id alone, every partition is probed.
 */
const REQUEST_OF_TURN = `LEFT JOIN "requests" r ON r.id = cr.request_id AND r.started_at = cr.started_at LEFT JOIN "imported_turns" i ON i.id = cr.request_id`

/**
 * The same, one lookup per turn whatever the planner thinks: for the few turns of one batch, in a
 * trigger whose plan is made once per connection, with the first statement's row count. Planned for a
 * large import, a join would go on reading all of `requests` for every batch after it.
 */
const REQUEST_OF_EACH_TURN = `LEFT JOIN LATERAL (SELECT * FROM "requests" WHERE "requests".id = cr.request_id AND "requests".started_at = cr.started_at OFFSET 0) r ON true
  LEFT JOIN "imported_turns" i ON i.id = cr.request_id`

/** Columns of `requests` a turn's facts read. */
const FACT_COLUMNS = ['status', 'completed_at', 'model', 'input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'cost_usd', 'cost_status']
const factsOf = (alias: string) => `(${FACT_COLUMNS.map((c) => `${alias}."${c}"`).join(', ')})`

/** The turns of the requests in `rows` (a transition table) named in `changed`, as addTurns takes them with `sign`. */
function requestTurns(rows: 'old_rows' | 'new_rows', sign: 1 | -1): string {
  return `SELECT cr.conversation_id, cr.thread_id, ${sign} AS sign, t.* FROM ${rows} r JOIN changed ON changed.id = r.id JOIN "conversation_requests" cr ON cr.request_id = r.id
    LEFT JOIN "imported_turns" i ON false CROSS JOIN LATERAL (SELECT ${TURN_FACTS}) t`
}

/**
 * Adds to the totals of conversations and threads the turns `signedFacts` selects (conversation_id,
 * thread_id, sign, TURN_FACTS): what they are with sign 1, what they were with sign -1. Sums and
 * counts move by the difference; starts, last activity and models only widen, which is all that
 * adding turns or finishing them does (a change that narrows them recounts, see below).
 */
function addTurns(signedFacts: string): string {
  return `WITH facts AS (${signedFacts}),
    changes AS (
      SELECT conversation_id, sum(sign)::integer AS turns, min(started_at) FILTER (WHERE sign > 0) AS started_at, max(last_activity_at) FILTER (WHERE sign > 0) AS last_activity_at,
        array_agg(DISTINCT model) FILTER (WHERE sign > 0 AND model IS NOT NULL) AS models,
        sum(sign * input_tokens)::bigint AS input_tokens, sum(sign * output_tokens)::bigint AS output_tokens,
        sum(sign * cache_creation_input_tokens)::bigint AS cache_creation_input_tokens, sum(sign * cache_read_input_tokens)::bigint AS cache_read_input_tokens,
        sum(sign * cost_usd) AS cost_usd, sum(sign * unpriced)::integer AS unpriced, sum(sign * imported)::integer AS imported
      FROM facts GROUP BY conversation_id),
    conversations_changed AS (
      UPDATE "conversations" c SET request_count = c.request_count + d.turns, started_at = LEAST(c.started_at, d.started_at), last_activity_at = GREATEST(c.last_activity_at, d.last_activity_at),
        models = CASE WHEN d.models IS NULL OR d.models <@ c.models THEN c.models ELSE ARRAY(SELECT DISTINCT m FROM unnest(c.models || d.models) AS m ORDER BY m) END,
        input_tokens = c.input_tokens + d.input_tokens, output_tokens = c.output_tokens + d.output_tokens,
        cache_creation_input_tokens = c.cache_creation_input_tokens + d.cache_creation_input_tokens, cache_read_input_tokens = c.cache_read_input_tokens + d.cache_read_input_tokens,
        cost_usd = COALESCE(c.cost_usd, 0) + d.cost_usd, unpriced_turn_count = c.unpriced_turn_count + d.unpriced, imported_turn_count = c.imported_turn_count + d.imported
      FROM changes d WHERE c.id = d.conversation_id)
    UPDATE "conversation_threads" th SET request_count = th.request_count + d.turns, started_at = LEAST(th.started_at, d.started_at), last_activity_at = GREATEST(th.last_activity_at, d.last_activity_at)
    FROM (SELECT thread_id, sum(sign)::integer AS turns, min(started_at) FILTER (WHERE sign > 0) AS started_at, max(last_activity_at) FILTER (WHERE sign > 0) AS last_activity_at
      FROM facts GROUP BY thread_id) d
    WHERE th.id = d.thread_id`
}

/** Totals of the turns of the conversations in the uuid[] `$1`, grouped by `key` (conversation_id or thread_id). */
function totalsOf(key: 'conversation_id' | 'thread_id'): string {
  return `SELECT cr.${key} AS id, count(*)::integer AS turns, min(t.started_at) AS started_at, max(t.last_activity_at) AS last_activity_at,
      array_agg(DISTINCT t.model ORDER BY t.model) FILTER (WHERE t.model IS NOT NULL) AS models,
      sum(t.input_tokens)::bigint AS input_tokens, sum(t.output_tokens)::bigint AS output_tokens,
      sum(t.cache_creation_input_tokens)::bigint AS cache_creation_input_tokens, sum(t.cache_read_input_tokens)::bigint AS cache_read_input_tokens,
      sum(t.cost_usd) AS cost_usd, sum(t.unpriced)::integer AS unpriced, sum(t.imported)::integer AS imported
    FROM "conversation_requests" cr ${REQUEST_OF_TURN} CROSS JOIN LATERAL (SELECT ${TURN_FACTS}) t
    WHERE cr.conversation_id = ANY($1) GROUP BY cr.${key}`
}

/**
 * A conversation's totals (request count, span, models, tokens, cost, unpriced and imported turns)
 * and its threads' (request count, span) are kept by triggers, in the transaction of whatever
 * changes a turn: a captured or imported turn added, a request finished or re-costed after a price
 * change, turns deleted by retention. Capture used to recount a conversation from all its turns in
 * every batch that touched it, a cost that grew with the session and, through a join the planner
 * answered by reading all of `requests`, with the database; and a re-cost left totals stale until
 * the conversation's next turn. Now a batch adds what it changed:
 *
 * - a turn linked to its conversation (`conversation_requests` insert) adds its facts;
 * - a request whose facts change (finished, re-costed) adds the difference, unless its model
 *   changed, which recounts its conversations;
 * - turns removed (retention) recount their conversations from the turns left, as does a request
 *   stored after its turn was linked (never in capture's order, kept exact all the same).
 *
 * Every statement may run again (a retried batch, a spool replay): a row written again unchanged
 * adds nothing. The totals are recounted once here, which also mends those a re-cost left stale.
 */
export class KeepConversationTotalsByTrigger1798300000000 implements MigrationInterface {
  name = 'KeepConversationTotalsByTrigger1798300000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      // Planned afresh for each call (EXECUTE), for the turns of the conversations at hand: a join for a
      // few, one read of requests for many.
      `CREATE FUNCTION conversation_totals_recount(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF cardinality(ids) = 0 THEN
          RETURN;
        END IF;
        EXECUTE $sql$
          UPDATE "conversations" c SET request_count = COALESCE(s.turns, 0), started_at = COALESCE(s.started_at, c.started_at), last_activity_at = COALESCE(s.last_activity_at, c.last_activity_at),
            models = COALESCE(s.models, '{}'), input_tokens = COALESCE(s.input_tokens, 0), output_tokens = COALESCE(s.output_tokens, 0),
            cache_creation_input_tokens = COALESCE(s.cache_creation_input_tokens, 0), cache_read_input_tokens = COALESCE(s.cache_read_input_tokens, 0),
            cost_usd = COALESCE(s.cost_usd, 0), unpriced_turn_count = COALESCE(s.unpriced, 0), imported_turn_count = COALESCE(s.imported, 0)
          FROM unnest($1) AS v (id) LEFT JOIN (${totalsOf('conversation_id')}) s ON s.id = v.id
          WHERE c.id = v.id $sql$ USING ids;
        EXECUTE $sql$
          UPDATE "conversation_threads" th SET request_count = COALESCE(s.turns, 0), started_at = COALESCE(s.started_at, th.started_at), last_activity_at = COALESCE(s.last_activity_at, th.last_activity_at)
          FROM "conversation_threads" t LEFT JOIN (${totalsOf('thread_id')}) s ON s.id = t.id
          WHERE t.conversation_id = ANY($1) AND th.id = t.id $sql$ USING ids;
      END $$`,
    )
    await queryRunner.query(
      `CREATE FUNCTION conversation_turns_linked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${addTurns(`SELECT cr.conversation_id, cr.thread_id, 1 AS sign, t.* FROM new_rows cr ${REQUEST_OF_EACH_TURN} CROSS JOIN LATERAL (SELECT ${TURN_FACTS}) t`)};
        ELSE
          PERFORM conversation_totals_recount(ARRAY(SELECT DISTINCT conversation_id FROM old_rows));
        END IF;
        RETURN NULL;
      END $$`,
    )
    await queryRunner.query(
      `CREATE FUNCTION conversation_turns_requests_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM conversation_totals_recount(ARRAY(SELECT DISTINCT cr.conversation_id FROM new_rows n JOIN "conversation_requests" cr ON cr.request_id = n.id));
        ELSE
          ${addTurns(
            `WITH changed AS (SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.started_at = o.started_at WHERE ${factsOf('o')} IS DISTINCT FROM ${factsOf('n')})
             ${requestTurns('old_rows', -1)} UNION ALL ${requestTurns('new_rows', 1)}`,
          )};
          PERFORM conversation_totals_recount(ARRAY(
            SELECT DISTINCT cr.conversation_id FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN "conversation_requests" cr ON cr.request_id = n.id WHERE o.model IS DISTINCT FROM n.model));
        END IF;
        RETURN NULL;
      END $$`,
    )
    await queryRunner.query(`CREATE TRIGGER "conversation_requests_total_inserts" AFTER INSERT ON "conversation_requests" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_turns_linked()`)
    await queryRunner.query(`CREATE TRIGGER "conversation_requests_total_deletes" AFTER DELETE ON "conversation_requests" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_turns_linked()`)
    await queryRunner.query(`CREATE TRIGGER "requests_total_conversation_inserts" AFTER INSERT ON "requests" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_turns_requests_changed()`)
    await queryRunner.query(
      `CREATE TRIGGER "requests_total_conversation_updates" AFTER UPDATE ON "requests" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_turns_requests_changed()`,
    )
    await queryRunner.query(`SELECT conversation_totals_recount(ARRAY(SELECT id FROM "conversations"))`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "requests_total_conversation_updates" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_total_conversation_inserts" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "conversation_requests_total_deletes" ON "conversation_requests"`)
    await queryRunner.query(`DROP TRIGGER "conversation_requests_total_inserts" ON "conversation_requests"`)
    await queryRunner.query(`DROP FUNCTION conversation_turns_requests_changed()`)
    await queryRunner.query(`DROP FUNCTION conversation_turns_linked()`)
    await queryRunner.query(`DROP FUNCTION conversation_totals_recount(uuid[])`)
  }
}
