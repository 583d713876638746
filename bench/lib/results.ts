import type { BackgroundAlertResult } from '../phases/background-alert.js';
import type { CallbackResult } from '../phases/callbacks.js';
import type { DecisionResult } from '../phases/decisions.js';
import type { HeldDecisionsResult, HeldMemoryResult } from '../phases/held-waits.js';
import type { IdleResult } from '../phases/idle.js';
import type { InsightsBenchResult } from '../phases/insights.js';
import type { ReadResult } from '../phases/reads.js';
import type { SlackResult } from '../phases/slack.js';
import type { BackendName } from './backend.js';
import type { BenchSettings } from './context.js';
import type { LoadResult } from './load.js';

/** CPU seconds each process used in one phase (from /proc), its wall time, and how many requests it sent. */
export type PhaseRecord = {
  backend: BackendName;
  /** Approvals stored when it ran (0: empty store). */
  size: number;
  name: string;
  wallS: number;
  cpuS: Record<string, number>;
  requests: number | null;
};

export type SizeResult = {
  size: number;
  stored: { approvals: number; decisions: number; pending: number } | null;
  seed: { ms: number; docs: Record<string, number> } | null;
  getById?: ReadResult | undefined;
  baselineFind?: ReadResult | undefined;
  ticketList?: ReadResult | undefined;
  queue?: (ReadResult & { pending: number }) | undefined;
  /** The pending working set grown to settings.widePending: how, and the same two reads again. */
  workingSet?: WorkingSetResult | undefined;
  ticketListWide?: ReadResult | undefined;
  queueWide?: (ReadResult & { pending: number }) | undefined;
  decisionSame?: DecisionResult | undefined;
  decisionCross?: DecisionResult | undefined;
  callbacks?: CallbackResult | undefined;
};

export type WorkingSetResult = {
  /** Extra pending-set entries written, and the pending count with them. */
  extra: number;
  pending: number;
  seedMs: number;
  /** Gateway A's start with them (it reads the whole pending set at start). */
  startMs: number;
  removeMs: number;
};

export type IntakeResult = {
  saturated: { gateway: LoadResult | null; baseline: LoadResult | null };
  rate: { gateway: LoadResult | null; baseline: LoadResult | null };
  stored: number;
};

export type BackendResult = {
  name: BackendName;
  label: string;
  versions: Record<string, string>;
  /** What the database reports (buildInfo.version). */
  serverVersion: string | null;
  sizes: SizeResult[];
  idleEmpty?: IdleResult | undefined;
  idleFull?: IdleResult | undefined;
  heldDecisions?: (HeldDecisionsResult & { stored: number }) | undefined;
  heldMemory?: (HeldMemoryResult & { stored: number }) | undefined;
  intake?: IntakeResult | undefined;
  /** Slack against a local fake Slack Web API (at the largest size). */
  slack?: (SlackResult & { stored: number }) | undefined;
  /** Intake → Zendesk notification in the harness's background instance (at the largest size). */
  backgroundAlert?: (BackgroundAlertResult & { stored: number }) | undefined;
  /** GET /api/agent/insights?days=90 over a full period of rollups (at the largest size). */
  insights?: (InsightsBenchResult & { stored: number }) | undefined;
  phases: PhaseRecord[];
  errors: Record<string, string>;
};

export type BenchResults = {
  startedAt: string;
  durationS: number;
  settings: BenchSettings;
  backends: BackendResult[];
  loadAverage: { start: number; max: number; end: number; samples: number[] };
  errors: Record<string, string>;
  receiverPort: number;
};
