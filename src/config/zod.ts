/**
 * zod, through one module (the config schema imports it from here). `npm run build` replaces the
 * compiled form of this file (dist/config/zod.js) with zod bundled into that one file
 * (scripts/fast-start.mjs): loading its ~95 ES modules one by one cost about 40 ms of every start.
 */
export * from 'zod';
