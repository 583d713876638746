/** The lazily loaded card parts (see card-parts.ts): the one module behind its dynamic import. */
export { DecisionSummary } from '../DecisionSummary';
export { CardNotices } from './CardNotices';
export { ExecutionStatus } from './ExecutionStatus';
export { ModifyStep } from './ModifyStep';
export { NoteField } from './NoteField';
