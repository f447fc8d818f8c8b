/**
 * The domain: job states and legal moves, unit states and types, agent error types, the budget
 * rule. A leaf: it imports nothing of the project, so workflows, activities, the store, sources,
 * agents and every front end can share it.
 */
export * from './agentErrors.js';
export * from './attempts.js';
export * from './breaker.js';
export * from './budget.js';
export * from './changes.js';
export * from './governor.js';
export * from './job.js';
export * from './jobStatus.js';
export * from './lifecycle.js';
export * from './pipeline.js';
export * from './units.js';
export * from './records.js';
export * from './verify.js';
