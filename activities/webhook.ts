/**
 * The job's webhook: one POST of the job's status when it needs approval and when it ends,
 * signed with an HMAC of the body when the spec names a secret. The secret is read from the
 * worker's environment by name, at delivery: it is never stored or put in history. Retried by
 * Temporal (at least once); the receiver tells deliveries apart by X-Agentic-Batch-Delivery.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';

export interface WebhookDelivery {
  url: string;
  /** The worker's environment variable holding the signing secret, if the spec names one. */
  secretEnv?: string;
  /** Stable across retries of one delivery. */
  deliveryId: string;
  event: 'ready' | 'ended';
  payload: { jobId: string; status: string; counts: unknown; costUsd: number; at: string };
}

const TIMEOUT_MS = 10_000;

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes with the secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function createWebhookActivities() {
  return {
    async deliverWebhook(delivery: WebhookDelivery): Promise<{ status: number }> {
      const body = JSON.stringify(delivery.payload);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'agentic-batch',
        'x-agentic-batch-delivery': delivery.deliveryId,
        'x-agentic-batch-event': delivery.event,
      };
      if (delivery.secretEnv) {
        const secret = process.env[delivery.secretEnv];
        if (!secret) {
          throw ApplicationFailure.nonRetryable(
            `the webhook's secret variable ${delivery.secretEnv} is not set on the worker`,
            'WebhookSecretMissing',
          );
        }
        headers['x-agentic-batch-signature'] = signature(secret, body);
      }
      let response: Response;
      try {
        response = await fetch(delivery.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        throw ApplicationFailure.retryable(
          `POST ${delivery.url} failed: ${(err as Error).message}`,
          'WebhookUnreachable',
        );
      }
      await response.body?.cancel();
      if (!response.ok) {
        throw ApplicationFailure.retryable(`POST ${delivery.url} answered ${response.status}`, 'WebhookRefused');
      }
      return { status: response.status };
    },
  };
}
