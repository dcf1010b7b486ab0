// Placeholder until the store helper provides the database template (see test/support/test-database.ts).
export default async function setup() {}
