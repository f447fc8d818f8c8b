/**
 * What the dashboard's API answers, typed from the client functions behind it (types only:
 * nothing of the server is bundled). JSON carries dates as strings.
 */
import type { ConversationEntry } from '../../src/client/conversationEntries.js';
import type { jobView } from '../../src/client/jobView.js';
import type { pipelineView } from '../../src/client/pipelines.js';
import type { ResultPage } from '../../src/client/results.js';
import type { TimelinePoint } from '../../src/client/timeline.js';
import type { AttemptRow, UnitRow } from '../../src/client/units.js';

type Json<T> = T extends Date
  ? string
  : T extends (infer I)[]
    ? Json<I>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type { ConversationEntry, TimelinePoint };
export type JobView = Json<Awaited<ReturnType<typeof jobView>>> & { revisedPrompt?: string };
export type JobStatusJson = Omit<JobView, 'testResults' | 'pipeline' | 'temporalUiUrl'>;
export type PipelineView = Json<Awaited<ReturnType<typeof pipelineView>>>;
export type UnitResult = Json<ResultPage['units'][number]>;
export type UnitPage = { units: UnitResult[]; nextCursor: string | null };

export interface JobListItem {
  jobId: string;
  name: string;
  state: string;
  totalUnits: number;
  succeeded: number;
  failed: number;
  settled: number;
  costUsd: number;
  message: string | null;
  createdAt: string;
}

export interface UnitDetail {
  unit: Json<UnitRow>;
  attempts: (Json<AttemptRow> & { entries: ConversationEntry[]; eventCount: number; nextEventSeq: number | null })[];
}

/** A further page of an attempt's conversation. */
export interface EventsPage {
  entries: ConversationEntry[];
  nextEventSeq: number | null;
}
