/** Agents admitted by memory (src/agents/memoryGate.ts, groupMemory.ts, the status it gives). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { GroupMemorySampler, groupRss } from '../../src/agents/groupMemory.js';
import { MemoryGate, memoryReading, type MemoryReading } from '../../src/agents/memoryGate.js';
import { memoryHoldStatus } from '../../src/domain/index.js';

const MB = 1024 * 1024;
const meminfo = (totalMb: number, availableMb: number) =>
  `MemTotal:       ${totalMb * 1024} kB\nMemFree:         1 kB\nMemAvailable:   ${availableMb * 1024} kB\n`;

describe('the memory available to agents', () => {
  it('is the machine’s MemAvailable without a cgroup limit', () => {
    expect(memoryReading({ meminfo: meminfo(24_000, 20_000) })).toEqual({
      availableBytes: 20_000 * MB,
      totalBytes: 24_000 * MB,
    });
    const unlimited = { max: 'max\n', current: String(5000 * MB), stat: '' };
    expect(memoryReading({ meminfo: meminfo(24_000, 20_000), v2: unlimited }).totalBytes).toBe(24_000 * MB);
    const v1Unlimited = { limit: '9223372036854771712\n', usage: '1', stat: '' };
    expect(memoryReading({ meminfo: meminfo(24_000, 20_000), v1: v1Unlimited }).totalBytes).toBe(24_000 * MB);
  });

  it('is what the container’s limit leaves, its page cache counted free (cgroup v2 and v1)', () => {
    const v2 = { max: `${4096 * MB}\n`, current: `${3000 * MB}\n`, stat: `anon 1\ninactive_file ${1000 * MB}\n` };
    expect(memoryReading({ meminfo: meminfo(24_000, 20_000), v2 })).toEqual({
      availableBytes: 2096 * MB,
      totalBytes: 4096 * MB,
    });
    const v1 = { limit: `${2048 * MB}`, usage: `${1024 * MB}`, stat: `total_inactive_file ${24 * MB}\n` };
    expect(memoryReading({ meminfo: meminfo(24_000, 20_000), v1 }).availableBytes).toBe(1048 * MB);
    // The machine has less than the container may take: the machine's figure.
    expect(memoryReading({ meminfo: meminfo(24_000, 500), v1 }).availableBytes).toBe(500 * MB);
  });
});

describe('the gate', () => {
  const machine =
    (availableMb: number): (() => MemoryReading) =>
    () => ({
      availableBytes: availableMb * MB,
      totalBytes: 24_000 * MB,
    });

  it('admits a claude while the memory less the reserve holds one, counting those still starting', () => {
    let now = 0;
    const gate = new MemoryGate({ read: machine(1000), reserveMb: 256, now: () => now });
    const first = gate.tryStart('claude');
    expect(first.token).not.toBeNull();
    // 1000 - 256 - 230 (the first, starting) = 514: one more fits, and at 284 a third; at 54 a fourth does not.
    expect(gate.tryStart('claude').token).not.toBeNull();
    expect(gate.tryStart('claude').token).not.toBeNull();
    const fourth = gate.tryStart('claude');
    expect(fourth).toMatchObject({ token: null, admission: { fits: false, needBytes: 230 * MB } });
    expect(fourth.admission.availableBytes).toBe((1000 - 256 - 690) * MB);
    // Once they have started, what they take shows in the reading itself.
    now = 5000;
    expect(gate.tryStart('claude').token).not.toBeNull();
  });

  it('always admits one agent when none runs (else a small machine waits for ever)', () => {
    const gate = new MemoryGate({ read: machine(10), reserveMb: 256 });
    expect(gate.tryStart('claude').token).not.toBeNull();
    expect(gate.tryStart('claude').token).toBeNull();
  });

  it('learns each kind from its peaks: up at once, down slowly', () => {
    const gate = new MemoryGate({ read: machine(100_000) });
    expect(gate.estimate('command')).toBe(64 * MB);
    gate.ended(gate.tryStart('command').token!, 300 * MB);
    expect(gate.estimate('command')).toBe(300 * MB);
    gate.ended(gate.tryStart('command').token!, 100 * MB);
    expect(gate.estimate('command')).toBe(280 * MB);
    gate.ended(gate.tryStart('command').token!, null); // not sampled: nothing learned
    expect(gate.estimate('command')).toBe(280 * MB);
    expect(gate.runningCount).toBe(0);
  });

  it('keeps a worker’s agents within its budget, by their estimates', () => {
    const gate = new MemoryGate({ read: machine(100_000), agentMemoryMb: 1000, now: () => 0 });
    gate.ended(gate.tryStart('command').token!, 310 * MB);
    const tokens = [1, 2, 3, 4].map(() => gate.tryStart('command').token);
    expect(tokens.filter((t) => t !== null)).toHaveLength(3);
    expect(gate.check('command')).toMatchObject({ fits: false, availableBytes: 70 * MB, needBytes: 310 * MB });
  });
});

describe('the peak of an agent’s process group', () => {
  it('is sampled only for agents older than 300 ms, and kept at its highest', () => {
    let now = 0;
    const scans: Map<number, number>[] = [
      new Map([[42, 100 * MB]]),
      new Map([[42, 250 * MB]]),
      new Map([[42, 90 * MB]]),
    ];
    let scanned = 0;
    const sampler = new GroupMemorySampler(
      () => scans[scanned++]!,
      () => now,
    );
    sampler.track(42);
    sampler.sample(); // too young: no scan
    expect(scanned).toBe(0);
    now = 400;
    sampler.sample();
    sampler.sample();
    sampler.sample();
    expect(sampler.untrack(42)).toBe(250 * MB);
    expect(sampler.untrack(43)).toBeNull();
  });

  it('sums a group’s processes from /proc: this test’s group holds at least this process', () => {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    const ownRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    expect(groupRss().get(pgrp)).toBeGreaterThanOrEqual(ownRss * 0.9);
  });
});

describe('what status says of held units', () => {
  it('names the units, the workers and the tightest one', () => {
    expect(memoryHoldStatus([])).toBeNull();
    expect(memoryHoldStatus([{ units: 1, availableMb: 120, needMb: 230 }])?.text).toBe(
      'held by worker memory: 1 unit waits (120 MB free, 230 MB needed for one more agent)',
    );
    const two = memoryHoldStatus([
      { units: 3, availableMb: 1200, needMb: 1850 },
      { units: 2, availableMb: 50, needMb: 230 },
    ]);
    expect(two).toMatchObject({ units: 5, workers: 2, availableMb: 50, needMb: 230 });
    expect(two?.text).toBe(
      'held by worker memory: 5 units wait on 2 workers (50 MB free, 230 MB needed for one more agent)',
    );
  });
});
