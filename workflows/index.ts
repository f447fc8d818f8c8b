/** The workflow bundle's entry: every workflow type the worker serves. */
export { jobWorkflow } from './job/jobWorkflow.js';
export { pipelineWorkflow } from './pipelineWorkflow.js';
