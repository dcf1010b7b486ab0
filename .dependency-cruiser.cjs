/**
 * The layering of server/ and client/, checked on every `npm test` (test/layering.test.ts).
 * Data flows one way: proxy → capture/live → store → API. Each rule's name is what a violation prints.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Import cycles make the order of module initialisation matter; none anywhere in server/.',
      severity: 'error',
      from: { path: '^server/' },
      to: { circular: true },
    },
    {
      name: 'proxy-forwards-bytes-only',
      comment: 'server/proxy knows nothing of capture, storage, the live bus, GraphQL or the domains.',
      severity: 'error',
      from: { path: '^server/proxy/' },
      to: { path: '^server/(capture|store|live|graphql|requests|health|http|conversations|usage|ratelimits|rules)/' },
    },
    {
      name: 'capture-sees-the-proxy-through-its-observer',
      comment: 'server/capture hears of exchanges through the observer interface only (plain data); the proxy\'s errors and forwarding are not its business.',
      severity: 'error',
      from: { path: '^server/capture/' },
      to: { path: '^server/proxy/', pathNot: '^server/proxy/proxy-observer\\.ts$' },
    },
    {
      name: 'wire-is-pure',
      comment: 'server/wire is I/O-free Anthropic wire logic: it imports only the record vocabulary.',
      severity: 'error',
      from: { path: '^server/wire/' },
      to: { path: '^server/', pathNot: '^server/(wire|records)/' },
    },
    {
      name: 'records-are-the-core',
      comment: 'server/records is the shared vocabulary every layer imports; it imports only the usage shape of server/wire.',
      severity: 'error',
      from: { path: '^server/records/' },
      to: { path: '^server/', pathNot: '^server/(records/|wire/usage)' },
    },
    {
      name: 'store-knows-no-consumers',
      comment: 'server/store holds tables and queries; it imports nothing of capture, live, GraphQL or the domains.',
      severity: 'error',
      from: { path: '^server/store/' },
      to: { path: '^server/(capture|live|graphql|requests|health|http|proxy|conversations|usage|ratelimits|rules)/' },
    },
    {
      name: 'capture-holds-the-store-interface',
      comment: 'server/capture talks to the store through the CaptureStore interface only (server/app.ts passes the implementation): it imports nothing else of server/store.',
      severity: 'error',
      from: { path: '^server/capture/' },
      to: { path: '^server/store/', pathNot: '^server/store/capture-store\\.ts$' },
    },
    {
      name: 'capture-imports-the-store-type-only',
      comment: 'server/capture imports the CaptureStore type, never the module\'s implementation.',
      severity: 'error',
      from: { path: '^server/capture/' },
      to: { path: '^server/store/capture-store\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'capture-writes-no-sql',
      comment: 'server/capture runs no SQL of its own: the database driver and ORM are the store\'s.',
      severity: 'error',
      from: { path: '^server/capture/' },
      to: { path: 'node_modules/(typeorm|pg)/' },
    },
    {
      name: 'graphql-is-transport',
      comment: 'server/graphql serves a schema and a context it is given (server/api.ts composes them); it imports no domain.',
      severity: 'error',
      from: { path: '^server/graphql/' },
      to: { path: '^server/(capture|store|live|requests|health|proxy|http|conversations|usage|ratelimits|rules)/' },
    },
    {
      name: 'capture-recording-stands-alone',
      comment: 'server/capture/recording turns proxy events into ops and hands them to a sink: it knows nothing of how they are kept (persistence, spool).',
      severity: 'error',
      from: { path: '^server/capture/recording/' },
      to: { path: '^server/capture/(persistence|spool)/' },
    },
    {
      name: 'capture-spool-is-storage-only',
      comment: 'server/capture/spool keeps ops on disk; it knows nothing of recording or of the database writer.',
      severity: 'error',
      from: { path: '^server/capture/spool/' },
      to: { path: '^server/capture/(recording|persistence)/' },
    },
    {
      name: 'capture-stages-below-composition',
      comment: 'server/capture/capture.ts composes the stages; no stage imports it.',
      severity: 'error',
      from: { path: '^server/capture/(recording|persistence|spool)/' },
      to: { path: '^server/capture/capture\\.ts$' },
    },
    {
      name: 'client-is-not-server',
      comment: 'The dashboard talks to the server through GraphQL only.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^server/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
}
