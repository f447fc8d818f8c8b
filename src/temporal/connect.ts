/** Connections to Temporal, with failures turned into plain words. */
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import proto from '@temporalio/proto';
import { jobStatusSearchAttribute } from '../../workflows/messages.js';
import { UserError } from '../errors.js';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    throw new UserError(
      `cannot reach Temporal at ${address} (namespace ${namespace}): ${firstLine(err)}`,
      'start the stack with `agentic-batch up -d`, or point TEMPORAL_ADDRESS at a running server',
    );
  }
  return new Client({ connection, namespace });
}

/** Register the job-status search attribute on a server we did not start (idempotent). */
export async function ensureSearchAttribute(connection: ConnectionLike, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  if (customAttributes && jobStatusSearchAttribute.name in customAttributes) return;
  await connection.operatorService
    .addSearchAttributes({
      namespace,
      searchAttributes: {
        [jobStatusSearchAttribute.name]: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      },
    })
    .catch((err: unknown) => {
      if (!/already exists/i.test(String(err))) throw err;
    });
}

export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
