/**
 * The job's webhook: one POST of the job's status when it needs approval, when the breaker paused
 * it and when it ends,
 * signed with an HMAC of the body when the spec names a secret. The secret is read from the
 * worker's environment by name, at delivery: it is never stored or put in history. The URL may
 * carry a secret too (a token in its path or query): it is read from the job's stored spec, never
 * put in history, and errors show its origin only. Retried by Temporal (at least once); the
 * receiver tells deliveries apart by X-Agentic-Batch-Delivery.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { WebhookEvent } from '../src/domain/index.js';
import { storedSpec } from '../src/spec/stored.js';
import type { Db } from '../src/store/db.js';
import { getJob } from '../src/store/jobs.js';

export interface WebhookDelivery {
  /** Only in deliveries of jobs created before the URL left history; else read from the stored spec. */
  url?: string;
  /** The worker's environment variable holding the signing secret, if the spec names one. */
  secretEnv?: string;
  /** Stable across retries of one delivery. */
  deliveryId: string;
  event: WebhookEvent;
  payload: { jobId: string; status: string; counts: unknown; costUsd: number; at: string };
}

const TIMEOUT_MS = 10_000;

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes with the secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The URL's origin, for messages: a path or query may hold a token. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return 'the webhook URL';
  }
}

async function storedUrl(db: Db, jobId: string): Promise<string> {
  const job = await getJob(db, jobId);
  const url = job ? storedSpec(job).webhook?.url : undefined;
  if (!url) throw ApplicationFailure.nonRetryable(`job ${jobId} has no webhook URL on record`, 'WebhookMissing');
  return url;
}

export function createWebhookActivities(deps: { db: Db }) {
  return {
    async deliverWebhook(delivery: WebhookDelivery): Promise<{ status: number }> {
      const url = delivery.url ?? (await storedUrl(deps.db, delivery.payload.jobId));
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
        response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        throw ApplicationFailure.retryable(
          `POST ${shown(url)} failed: ${(err as Error).message}`,
          'WebhookUnreachable',
        );
      }
      await response.body?.cancel();
      if (!response.ok) {
        throw ApplicationFailure.retryable(`POST ${shown(url)} answered ${response.status}`, 'WebhookRefused');
      }
      return { status: response.status };
    },
  };
}
