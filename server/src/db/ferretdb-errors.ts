/** The embedded database cannot be built, started or used; the message says why and what to do. */
export class EmbeddedDatabaseError extends Error {}
