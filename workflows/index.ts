/** The workflow bundle's entry: every workflow type the worker serves. */
export { jobWorkflow } from './jobWorkflow.js';
export { pipelineWorkflow } from './pipelineWorkflow.js';
