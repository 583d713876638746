export * from './approval.schema.js';
export * from './authority.js';
export * from './callback.schema.js';
export * from './inbound.schema.js';
export * from './json.schema.js';
export * from './problem.schema.js';
export * from './policy.schema.js';
export * from './ticket-note.js';
