/**
 * What an attempt keeps of its conversation: its first events (nine tenths of the budget) as
 * they arrive, its last ones (a tenth) held in a ring until it ends, and between the two one
 * event that says what was left out ("1,998,412 more stderr events, 61.3 MB, not kept"). The
 * budget counts events and the bytes of their JSON. (Measured on 2b7a411: an agent that wrote
 * 2,000,000 stderr lines left 2,000,001 rows in `events` for one unit.)
 */

export interface EventLimits {
  /** Events kept per attempt. */
  events: number;
  /** Bytes of event JSON kept per attempt. */
  eventBytes: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = { events: 10_000, eventBytes: 10_000_000 };

/** An event ready to store: its JSON made once, when it arrived. */
export interface PreparedEvent {
  type: string;
  subtype: string | null;
  json: string;
  at: number;
}

/** Where an arriving event goes. */
export type Placement = 'head' | 'tail';

export class EventBudget {
  private readonly headEvents: number;
  private readonly headBytes: number;
  private readonly tailEvents: number;
  private readonly tailBytes: number;
  private keptEvents = 0;
  private keptBytes = 0;
  private readonly ring: PreparedEvent[] = [];
  private ringBytes = 0;
  /** Left out, by event type. */
  private readonly omitted = new Map<string, { events: number; bytes: number }>();

  constructor(limits: EventLimits) {
    this.tailEvents = Math.max(1, Math.floor(limits.events / 10));
    this.tailBytes = Math.floor(limits.eventBytes / 10);
    this.headEvents = Math.max(0, limits.events - this.tailEvents);
    this.headBytes = limits.eventBytes - this.tailBytes;
  }

  /** `head`: store it now. `tail`: the budget's head is spent; it is held for the end (or dropped). */
  place(event: PreparedEvent): Placement {
    const bytes = event.json.length;
    if (this.ring.length === 0 && this.keptEvents < this.headEvents && this.keptBytes + bytes <= this.headBytes) {
      this.keptEvents += 1;
      this.keptBytes += bytes;
      return 'head';
    }
    this.ring.push(event);
    this.ringBytes += bytes;
    while (this.ring.length > 0 && (this.ring.length > this.tailEvents || this.ringBytes > this.tailBytes)) {
      const dropped = this.ring.shift()!;
      this.ringBytes -= dropped.json.length;
      const seen = this.omitted.get(dropped.type) ?? { events: 0, bytes: 0 };
      seen.events += 1;
      seen.bytes += dropped.json.length;
      this.omitted.set(dropped.type, seen);
    }
    return 'tail';
  }

  /** What is stored after the head, in order, when the attempt ends: the summary (if any was left out), then the tail. */
  end(now: number): PreparedEvent[] {
    const summary = this.summary(now);
    return summary ? [summary, ...this.ring] : [...this.ring];
  }

  /** Events left out so far. */
  get omittedEvents(): number {
    let n = 0;
    for (const { events } of this.omitted.values()) n += events;
    return n;
  }

  private summary(at: number): PreparedEvent | null {
    if (this.omitted.size === 0) return null;
    const omitted = Object.fromEntries(this.omitted);
    const parts = [...this.omitted].map(
      ([type, { events, bytes }]) => `${events.toLocaleString('en-US')} more ${type} events (${megabytes(bytes)})`,
    );
    const text =
      `… ${parts.join(', ')} not kept: an attempt keeps its first ${this.headEvents.toLocaleString('en-US')} ` +
      `and last ${this.tailEvents.toLocaleString('en-US')} events (agent.limits.events, agent.limits.eventBytes)`;
    return { type: 'omitted', subtype: null, json: JSON.stringify({ text, omitted }), at };
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
