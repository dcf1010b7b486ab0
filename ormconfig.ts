import { createDataSource } from './server/store/data-source'

/**
 * The DataSource the TypeORM CLI loads (`npm run migration:generate -- server/store/migrations/<Name>`,
 * `npm run migration:run`). The CLI needs a reachable PostgreSQL in DATABASE_URL, e.g.
 * `DATABASE_URL=postgres://postgres@127.0.0.1:5432/claudescope_scratch`; it cannot use the
 * embedded database. The app itself opens the store through `openStore` with the same options.
 */
const url = process.env.DATABASE_URL
if (!url) throw new Error('ormconfig.ts: set DATABASE_URL to a reachable PostgreSQL for the TypeORM CLI')

export default createDataSource(url)
