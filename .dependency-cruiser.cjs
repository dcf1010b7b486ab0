/**
 * The layering of server/ and client/, checked on every `npm test` (test/layering.test.ts).
 * Data flows one way: proxy → capture/live → store → API. Each rule's name is what a violation prints.
 */

/** A forbidden import: modules matching `from` may not import modules matching `to`; `why` is printed with a violation. */
const forbid = (name, why, from, to) => ({ name, comment: why, severity: 'error', from, to })

module.exports = {
  forbidden: [
    forbid(
      'no-cycles',
      'Import cycles make the order of module initialisation matter; none anywhere in server/.',
      { path: '^server/' },
      { circular: true },
    ),
    forbid(
      'proxy-forwards-bytes-only',
      'server/proxy knows nothing of capture, storage, the live bus, GraphQL or the domains.',
      { path: '^server/proxy/' },
      { path: '^server/(capture|store|live|graphql|requests|health|http|conversations|usage|ratelimits|rules|storage|retention|header-rules|settings)/' },
    ),
    forbid(
      'capture-sees-the-proxy-through-its-observer',
      'server/capture hears of exchanges through the observer interface only (plain data); the proxy\'s errors and forwarding are not its business.',
      { path: '^server/capture/' },
      { path: '^server/proxy/', pathNot: '^server/proxy/proxy-observer\\.ts$' },
    ),
    forbid(
      'wire-is-pure',
      'server/wire is I/O-free Anthropic wire logic: it imports only the record vocabulary.',
      { path: '^server/wire/' },
      { path: '^server/', pathNot: '^server/(wire|records)/' },
    ),
    forbid(
      'records-are-the-core',
      'server/records is the shared vocabulary every layer imports; it imports only the usage and rate-limit shapes of server/wire.',
      { path: '^server/records/' },
      { path: '^server/', pathNot: '^server/(records/|wire/usage|wire/rate-limit-headers)' },
    ),
    forbid(
      'store-knows-no-consumers',
      'server/store holds tables and queries; it imports nothing of capture, live, GraphQL or the domains.',
      { path: '^server/store/' },
      { path: '^server/(capture|live|graphql|requests|health|http|proxy|conversations|usage|ratelimits|rules|storage|retention|header-rules|settings)/' },
    ),
    forbid(
      'capture-holds-the-store-interface',
      'server/capture talks to the store through the CaptureStore interface only (server/app.ts passes the implementation): it imports nothing else of server/store.',
      { path: '^server/capture/' },
      { path: '^server/store/', pathNot: '^server/store/capture-store\\.ts$' },
    ),
    forbid(
      'capture-imports-the-store-type-only',
      'server/capture imports the CaptureStore type, never the module\'s implementation.',
      { path: '^server/capture/' },
      { path: '^server/store/capture-store\\.ts$', dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'capture-writes-no-sql',
      'server/capture runs no SQL of its own: the database driver and ORM are the store\'s.',
      { path: '^server/capture/' },
      { path: 'node_modules/(typeorm|pg)/' },
    ),
    forbid(
      'graphql-is-transport',
      'server/graphql serves a schema and a context it is given (server/api.ts composes them); it imports no domain.',
      { path: '^server/graphql/' },
      { path: '^server/(capture|store|live|requests|health|proxy|http|conversations|usage|ratelimits|rules|storage|retention|header-rules|settings)/' },
    ),
    forbid(
      'capture-recording-stands-alone',
      'server/capture/recording turns proxy events into ops and hands them to a sink: it knows nothing of how they are kept (persistence, spool).',
      { path: '^server/capture/recording/' },
      { path: '^server/capture/(persistence|spool)/' },
    ),
    forbid(
      'capture-spool-is-storage-only',
      'server/capture/spool keeps ops on disk; it knows nothing of recording or of the database writer.',
      { path: '^server/capture/spool/' },
      { path: '^server/capture/(recording|persistence)/' },
    ),
    forbid(
      'capture-stages-below-composition',
      'server/capture/capture.ts composes the stages; no stage imports it.',
      { path: '^server/capture/(recording|persistence|spool)/' },
      { path: '^server/capture/capture\\.ts$' },
    ),
    forbid(
      'client-is-not-server',
      'The dashboard talks to the server through GraphQL only.',
      { path: '^client/' },
      { path: '^server/' },
    ),
  ],
  options: { doNotFollow: { path: 'node_modules' }, tsConfig: { fileName: 'tsconfig.json' }, tsPreCompilationDeps: true },
}
