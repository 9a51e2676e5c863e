/**
 * Kysely, through one module: every value the store takes from Kysely is imported from here.
 * `npm run build` replaces the compiled form of this file (dist/store/kysely.js) with Kysely
 * bundled into that one file (scripts/fast-start.mjs), because loading Kysely's ~260 ES modules
 * one by one took about 100 ms of every start. The sources and the tests use the package as is.
 */
export * from 'kysely';
