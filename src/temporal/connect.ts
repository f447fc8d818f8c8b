/** Connections to Temporal, with failures turned into plain words. */
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { jobStatusSearchAttribute } from '../../workflows/messages.js';
import { UserError } from '../errors.js';
import { diagnose, type Diagnosis } from './diagnose.js';
import { describeSecurity } from './settings.js';

export async function connectClient(options: NativeConnectionOptions, namespace: string): Promise<Client> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 5000 });
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    await connection?.close();
    throw await cannotReach(options, namespace, err);
  }
  return new Client({ connection, namespace });
}

/** One line that says where, how and why (found by a handshake of our own), and a hint that fits. */
export async function cannotReach(
  options: NativeConnectionOptions,
  namespace: string,
  err: unknown,
): Promise<UserError> {
  const where = `Temporal at ${options.address ?? 'localhost:7233'} (namespace ${namespace}, ${describeSecurity(options)})`;
  const { cause, hint } = explain(await diagnose(options), firstLine(err));
  return new UserError(`cannot reach ${where}: ${cause}`, hint);
}

const TLS_HINT =
  'check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (the client certificate the server requires), TEMPORAL_TLS_SERVER_CA_CERT_PATH (the CA that signed the server’s) and TEMPORAL_TLS_SERVER_NAME';
const START_HINT =
  'start the stack with `agentic-batch up -d`, or point TEMPORAL_ADDRESS (or TEMPORAL_PROFILE) at a running server';

function explain(diagnosis: Diagnosis, grpcCause: string): { cause: string; hint: string } {
  switch (diagnosis.kind) {
    case 'unreachable':
      return { cause: diagnosis.detail, hint: START_HINT };
    case 'tls':
      return { cause: `TLS handshake refused: ${diagnosis.detail}`, hint: TLS_HINT };
    case 'speaks-tls':
      return {
        cause: 'the server speaks TLS and this connection is plaintext',
        hint: 'set TEMPORAL_TLS=true, and TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH if it requires a client certificate',
      };
    default:
      if (/unauthenticated|unauthorized|permission denied|api key/i.test(grpcCause)) {
        return { cause: grpcCause, hint: 'check TEMPORAL_API_KEY (or the profile’s api_key) and TEMPORAL_NAMESPACE' };
      }
      if (/not found/i.test(grpcCause)) return { cause: grpcCause, hint: 'check TEMPORAL_NAMESPACE' };
      return { cause: grpcCause, hint: START_HINT };
  }
}

const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
const UNAUTHENTICATED = 16;
const INVALID_ARGUMENT = 3;

/**
 * Make sure the job-status search attribute exists on a server we did not start. Registered
 * through the operator API where that is allowed; where it is not (Temporal Cloud answers
 * PERMISSION_DENIED), probe with a visibility query and, if it is missing, say the command that
 * adds it.
 */
export async function ensureSearchAttribute(connection: ConnectionLike, namespace: string): Promise<void> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    if (customAttributes && jobStatusSearchAttribute.name in customAttributes) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: {
        [jobStatusSearchAttribute.name]: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      },
    });
  } catch (err) {
    if (grpcCode(err) === 6 || /already exists/i.test(String(err))) return;
    if (![PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED].includes(grpcCode(err) ?? -1)) throw err;
    if (await searchAttributeQueryable(connection, namespace)) return;
    throw new UserError(
      `the search attribute ${jobStatusSearchAttribute.name} is not registered in namespace ${namespace}, and this server does not let the engine register it (${firstLine(err)})`,
      `add it once: tcld namespace search-attributes add --namespace ${namespace} --search-attribute "${jobStatusSearchAttribute.name}=Keyword" (Temporal Cloud; the namespace with its account suffix), or temporal operator search-attribute create --namespace ${namespace} --name ${jobStatusSearchAttribute.name} --type Keyword`,
    );
  }
}

/** A query on an unregistered attribute is INVALID_ARGUMENT; any answer means it exists. */
async function searchAttributeQueryable(connection: ConnectionLike, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.countWorkflowExecutions({
      namespace,
      query: `${jobStatusSearchAttribute.name} = 'COMPLETED'`,
    });
    return true;
  } catch (err) {
    if (grpcCode(err) === INVALID_ARGUMENT) return false;
    throw err;
  }
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
