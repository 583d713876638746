import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext, RunningServer } from '../lib/context.js';
import { rawGet, request, type RawResponse } from '../lib/http.js';
import { memoryOf } from '../lib/procs.js';
import { round, summarize, type Latency } from '../lib/stats.js';
import { DECISION_BODY } from './decisions.js';

/** The gateway's `cheqpoint_held_waits` gauge (calls held now), from /metrics. */
async function heldCount(server: RunningServer): Promise<number> {
  const res = await request(`${server.url}/metrics`).catch(() => null);
  const match = res ? /^cheqpoint_held_waits(?:\{[^}]*\})?\s+(\d+)/m.exec(res.text) : null;
  return match ? Number(match[1]) : -1;
}

/** Waits (bounded) until the gateway holds `n` calls; returns the ms waited. */
async function untilHeld(server: RunningServer, n: number, timeoutMs: number, everyMs = 100): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await heldCount(server)) >= n) break;
    await sleep(everyMs);
  }
  return Math.round(performance.now() - started);
}

type HeldCall = {
  id: string;
  sentAt: number;
  /** The call's own wait (ms): its deadline is sentAt + waitMs. */
  waitMs: number;
  answer: Promise<RawResponse | Error>;
  controller: AbortController;
  isSettled: () => boolean;
};

/**
 * Opens one held call per id, 50 every 100 ms (as they arrive in practice, not in one burst). Each
 * waits `waitS`, or, with `deadline` (a performance.now() time), until then: `?wait=` takes
 * milliseconds, so calls opened over seconds can all time out at the same moment.
 */
async function openHeld(
  server: RunningServer,
  flowKey: string,
  ids: string[],
  waitS: number,
  deadline?: number,
): Promise<HeldCall[]> {
  const calls: HeldCall[] = [];
  // Calls that must time out together go 20 at a time, each 20 once the gateway holds the ones before:
  // a call the gateway reads late counts its wait from then (its deadline moves with it), so sending
  // faster than it takes them in would measure that queue, not the answers at the deadline.
  // Bounded: at most 1 s per step (a call answered at once never counts as held), and none once half
  // the wait is gone (the rest then go out at once).
  const per = deadline === undefined ? 50 : 20;
  for (const [i, id] of ids.entries()) {
    if (i > 0 && i % per === 0) {
      if (deadline === undefined) await sleep(100);
      else if (performance.now() < deadline - (waitS * 1000) / 2)
        await untilHeld(server, i - Math.floor(i / 50), 1_000, 20);
    }
    const controller = new AbortController();
    const sentAt = performance.now();
    const waitMs = deadline === undefined ? waitS * 1000 : Math.max(1_000, Math.round(deadline - sentAt));
    let settled = false;
    // Each call on a socket of its own, timed at its answer's first byte (rawGet says why).
    const answer = rawGet(`${server.url}/api/approvals/${id}?wait=${(waitMs / 1000).toFixed(3)}`, {
      headers: { 'x-api-key': flowKey },
      signal: controller.signal,
      timeoutMs: waitMs + 30_000,
    })
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        settled = true;
      });
    calls.push({ id, sentAt, waitMs, answer, controller, isSettled: () => settled });
  }
  return calls;
}

export type HeldDecisionsResult = {
  waits: number;
  waitS: number;
  decided: number;
  setupMs: number;
  /** From the first call sent to the last (their waits all end at the same moment). */
  openedOverMs: number;
  /** Decided group: answer − decision sent (target ≤ 1 s each). */
  decidedLateness: Latency;
  /** Undecided group: answer − (request sent + wait) (target ≤ 250 ms each; negative = early). */
  undecidedLateness: Latency;
  /** Answers that were wrong: errors, non-200, or the wrong status for the group. */
  wrongAnswers: number;
  wrongSamples: string[];
  /** The decision calls' own round trips. */
  decisionCall: Latency;
  withinOneS: { decided: number; undecided: number };
  /** Undecided answers within 250 ms of their wait (the target). */
  undecidedWithin250: number;
  /**
   * The same number of calls held by the bare baseline (one findById each as it arrives, then the
   * answer when its wait ends), opened the same way, all timing out at the same moment: answer − (sent
   * + wait). What answering that many calls at once costs Express and Node on this machine, this run.
   */
  bareLateness: Latency | null;
};

/**
 * `waits` calls held on A (one connection each, distinct pending approvals), opened 20 at a time once
 * the gateway holds the ones before, each with the wait that ends `waitS` after the first was sent,
 * so that all of them time out at the
 * same moment; once all are held, waitsDecided of them (at random) are decided on A at random moments
 * within decideWindowS while the others stay held until that moment.
 */
export async function heldDecisionsPhase(ctx: BenchContext, ids: string[]): Promise<HeldDecisionsResult> {
  const gateway = ctx.gatewayA!;
  const { waitS, decideWindowS } = ctx.settings;
  const calls = await openHeld(gateway, ctx.account.flowKey, ids, waitS, performance.now() + waitS * 1000);
  const openedOverMs = Math.round((calls.at(-1)?.sentAt ?? 0) - (calls[0]?.sentAt ?? 0));
  const setupMs = await untilHeld(gateway, ids.length, 8_000);
  const shuffled = [...calls].sort(() => Math.random() - 0.5);
  const toDecide = new Set(shuffled.slice(0, Math.min(ctx.settings.waitsDecided, calls.length)));
  ctx.log(`held waits: ${calls.length} held after ${setupMs} ms; deciding ${toDecide.size} at random moments`);
  const decisionSent = new Map<HeldCall, number>();
  const decisionCalls: number[] = [];
  const wrong: string[] = [];
  await Promise.all(
    [...toDecide].map(async (call) => {
      // A random moment in the window, and at least a second before the call's own wait runs out.
      const latest = call.sentAt + call.waitMs - 1000 - performance.now();
      await sleep(Math.random() * Math.max(0, Math.min(decideWindowS * 1000, latest)));
      decisionSent.set(call, performance.now());
      const res = await request(`${gateway.url}/api/agent/approvals/${call.id}/decision`, {
        method: 'POST',
        headers: { 'x-api-key': ctx.account.agentKey },
        body: DECISION_BODY,
        timeoutMs: 30_000,
      }).catch((err: unknown) => err as Error);
      if (res instanceof Error || res.status !== 200) {
        wrong.push(`decision: ${res instanceof Error ? res.message : res.status}`);
      } else decisionCalls.push(res.ms);
    }),
  );
  const decidedLateness: number[] = [];
  const undecidedLateness: number[] = [];
  for (const call of calls) {
    const answer = await call.answer;
    const isDecided = toDecide.has(call);
    if (answer instanceof Error || answer.status !== 200) {
      wrong.push(answer instanceof Error ? answer.message : `answered ${answer.status}`);
      continue;
    }
    const status = answer.json<{ status: string }>().status;
    if (status !== (isDecided ? 'approved' : 'pending'))
      wrong.push(`${isDecided ? 'decided' : 'undecided'}: ${status}`);
    if (isDecided) decidedLateness.push(answer.firstByteAt - (decisionSent.get(call) ?? NaN));
    else undecidedLateness.push(answer.firstByteAt - (call.sentAt + call.waitMs));
  }
  const bareLateness = ctx.baseline ? await bareHeld(ctx.baseline, ids.slice(0, undecidedLateness.length)) : null;
  return {
    bareLateness,
    waits: calls.length,
    waitS,
    decided: toDecide.size,
    setupMs,
    openedOverMs,
    decidedLateness: summarize(decidedLateness),
    undecidedLateness: summarize(undecidedLateness),
    wrongAnswers: wrong.length,
    wrongSamples: wrong.slice(0, 5),
    decisionCall: summarize(decisionCalls),
    withinOneS: {
      decided: decidedLateness.filter((x) => x <= 1000).length,
      undecided: undecidedLateness.filter((x) => x <= 1000).length,
    },
    undecidedWithin250: undecidedLateness.filter((x) => x <= 250).length,
  };
}

/**
 * `ids.length` calls held by the bare baseline, opened 20 every 50 ms (it holds a call after one
 * findById, so it never queues them), each with the wait that ends 5 s after the first was sent.
 */
async function bareHeld(baseline: RunningServer, ids: string[]): Promise<Latency | null> {
  const deadline = performance.now() + 5_000;
  const calls: { sentAt: number; waitMs: number; answer: Promise<RawResponse | Error> }[] = [];
  for (const [i, id] of ids.entries()) {
    if (i > 0 && i % 20 === 0) await sleep(50);
    const sentAt = performance.now();
    const waitMs = Math.max(1_000, Math.round(deadline - sentAt));
    const answer = rawGet(`${baseline.url}/held/${id}?wait=${(waitMs / 1000).toFixed(3)}`, {
      timeoutMs: waitMs + 30_000,
    }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    calls.push({ sentAt, waitMs, answer });
  }
  const lateness: number[] = [];
  for (const call of calls) {
    const answer = await call.answer;
    if (answer instanceof Error || answer.status !== 200) return null;
    lateness.push(answer.firstByteAt - (call.sentAt + call.waitMs));
  }
  return summarize(lateness);
}

export type HeldMemoryResult = {
  waits: number;
  held: number;
  setupMs: number;
  rssBeforeMb: number;
  rssHeldMb: number;
  rssAfterMb: number;
  peakRssMb: number;
  answeredEarly: number;
};

/** `memoryWaits` calls held on A (distinct pending approvals, `?wait=20`): A's resident memory from /proc. */
export async function heldMemoryPhase(ctx: BenchContext, ids: string[]): Promise<HeldMemoryResult> {
  const gateway = ctx.gatewayA!;
  const pid = gateway.proc.pid;
  const rssBeforeMb = memoryOf(pid).rssMb;
  const calls = await openHeld(gateway, ctx.account.flowKey, ids, 20);
  const setupMs = await untilHeld(gateway, ids.length, 8_000);
  const held = await heldCount(gateway);
  let rssHeldMb = memoryOf(pid).rssMb;
  for (let t = 0; t < ctx.settings.memoryHoldS * 5; t++) {
    await sleep(200);
    rssHeldMb = Math.max(rssHeldMb, memoryOf(pid).rssMb);
  }
  const answeredEarly = calls.filter((c) => c.isSettled()).length;
  for (const c of calls) c.controller.abort();
  await Promise.all(calls.map((c) => c.answer));
  await sleep(1_000);
  const after = memoryOf(pid);
  return {
    waits: ids.length,
    held,
    setupMs,
    rssBeforeMb: round(rssBeforeMb, 1),
    rssHeldMb: round(rssHeldMb, 1),
    rssAfterMb: round(after.rssMb, 1),
    peakRssMb: round(after.peakRssMb, 1),
    answeredEarly,
  };
}
