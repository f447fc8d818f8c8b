/** Where a job or pipeline is seen in the Temporal Web UI, when the stack serves one. */
import type { Session } from './session.js';

export function workflowUiUrl(session: Session, workflowId: string): string | null {
  const { uiUrl } = session.endpoints;
  return uiUrl
    ? `${uiUrl}/namespaces/${encodeURIComponent(session.config.namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : null;
}
