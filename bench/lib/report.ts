import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../server/src/config.js';
import type { BenchSettings } from './context.js';
import type { LoadResult } from './load.js';
import type { BackendResult, BenchResults, PhaseRecord, SizeResult } from './results.js';
import type { Latency } from './stats.js';

/** One per-size figure of one backend: the gateway's latency at each size beside its baseline. */
export type SizeFigure = {
  key: string;
  label: string;
  baselineLabel: string;
  target: string;
  limitMs: number;
  /** Phase names (in the CPU table) of the gateway's and the baseline's measurement. */
  phase: string;
  baselinePhase: string | null;
  sizes: number[];
  values: (Latency | null)[];
  baselines: (Latency | null)[];
  failures: number[];
  notes: string[];
  /** p99 at the largest size ÷ p99 at the smallest (and the same for p50). */
  scaleP99: number;
  scaleP50: number;
  targetMet: boolean | null;
  scaleMet: boolean | null;
};

/** A figure measured once per backend. */
export type OnceFigure = {
  key: string;
  backend: string;
  label: string;
  stored: number;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
};

export type Report = {
  results: BenchResults;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; os: string };
  perSize: Record<string, SizeFigure[]>;
  once: OnceFigure[];
  reasons: string[];
  notes: string | null;
};

const f = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–');
const pair = (l: Latency | null | undefined) => (l && l.count > 0 ? `${f(l.p50)} / ${f(l.p99)}` : '–');
const k = (n: number) => (n === 0 ? 'empty' : n >= 1000 ? `${(n / 1000).toLocaleString('en-US')}k` : String(n));
const n = (x: number) => x.toLocaleString('en-US');
const yes = (met: boolean | null) => (met === null ? '–' : met ? 'yes' : '**no**');
const BACKEND_TITLE: Record<string, string> = { sqlite: 'FerretDB SQLite', postgresql: 'FerretDB PostgreSQL' };

/** p50 of `wide` ÷ p50 of `small` (the same call with a small and a grown pending set). */
const ratioOf = (wide: { latency: Latency } | undefined, small: { latency: Latency } | undefined) =>
  wide && small && wide.latency.count && small.latency.count && small.latency.p50 > 0
    ? f(wide.latency.p50 / small.latency.p50)
    : '–';

function sizeFigures(b: BackendResult, settings: BenchSettings): SizeFigure[] {
  const sizes = b.sizes.map((s) => s.size);
  const make = (
    key: string,
    label: string,
    baselineLabel: string,
    target: string,
    limitMs: number,
    phase: string,
    baselinePhase: string | null,
    pick: (s: SizeResult) => { value: Latency | null; baseline: Latency | null; failures: number; note?: string },
  ): SizeFigure => {
    const picked = b.sizes.map(pick);
    const values = picked.map((p) => p.value);
    const first = values[0];
    const last = values.at(-1);
    const scaleP99 = first && last && first.count && last.count ? last.p99 / first.p99 : NaN;
    const scaleP50 = first && last && first.count && last.count ? last.p50 / first.p50 : NaN;
    const complete = sizes.length === settings.sizes.length && values.every((v) => v && v.count > 0);
    return {
      key,
      label,
      baselineLabel,
      target,
      limitMs,
      phase,
      baselinePhase,
      sizes,
      values,
      baselines: picked.map((p) => p.baseline),
      failures: picked.map((p) => p.failures),
      notes: picked.map((p) => p.note ?? ''),
      scaleP99,
      scaleP50,
      targetMet: complete
        ? values.every((v) => (v?.p99 ?? Infinity) < limitMs) && picked.every((p) => p.failures === 0)
        : null,
      scaleMet: complete && Number.isFinite(scaleP99) ? scaleP99 <= 2 : null,
    };
  };
  return [
    make(
      'get',
      'GET /api/approvals/{id}',
      'bare findById round trip',
      'p99 < 20 ms',
      20,
      'GET /api/approvals/{id}',
      'baseline findById',
      (s) => ({
        value: s.getById?.latency ?? null,
        baseline: s.baselineFind?.latency ?? null,
        failures: s.getById?.failures ?? 0,
      }),
    ),
    make(
      'ticket',
      'Ticket list `GET /api/agent/approvals?ticketId=<t>`',
      'bare findById round trip',
      'p99 < 50 ms',
      50,
      'ticket list',
      'baseline findById',
      (s) => ({
        value: s.ticketList?.latency ?? null,
        baseline: s.baselineFind?.latency ?? null,
        failures: s.ticketList?.failures ?? 0,
        note: s.ticketList ? `${s.ticketList.items ?? 0} items` : '',
      }),
    ),
    make(
      'queue',
      'Queue first page `GET /api/agent/approvals?status=pending&limit=50`',
      'bare findById round trip',
      'p99 < 100 ms',
      100,
      'queue first page',
      'baseline findById',
      (s) => ({
        value: s.queue?.latency ?? null,
        baseline: s.baselineFind?.latency ?? null,
        failures: s.queue?.failures ?? 0,
        note: s.queue ? `${n(s.queue.pending)} pending` : '',
      }),
    ),
    make(
      'ticketWide',
      `Ticket list, pending set grown to ${n(settings.widePending)} entries (same calls)`,
      "same call with the size's own pending set",
      'p99 < 50 ms',
      50,
      `ticket list, ${k(settings.widePending)} pending`,
      'ticket list',
      (s) => ({
        value: s.ticketListWide?.latency ?? null,
        baseline: s.ticketList?.latency ?? null,
        failures: s.ticketListWide?.failures ?? 0,
        note: s.workingSet
          ? `${n(s.workingSet.pending)} pending; p50 ${ratioOf(s.ticketListWide, s.ticketList)}× the ${n(s.queue?.pending ?? 0)}-pending call`
          : '',
      }),
    ),
    make(
      'queueWide',
      `Queue first page, pending set grown to ${n(settings.widePending)} entries (same calls)`,
      "same call with the size's own pending set",
      'p99 < 100 ms',
      100,
      `queue first page, ${k(settings.widePending)} pending`,
      'queue first page',
      (s) => ({
        value: s.queueWide?.latency ?? null,
        baseline: s.queue?.latency ?? null,
        failures: s.queueWide?.failures ?? 0,
        note: s.queueWide
          ? `${n(s.queueWide.pending)} pending; p50 ${ratioOf(s.queueWide, s.queue)}× the ${n(s.queue?.pending ?? 0)}-pending call`
          : '',
      }),
    ),
    make(
      'same',
      'Decision → held answer, in process (decided on A)',
      'plain GET round trip',
      'p99 < 50 ms',
      50,
      'decision → held answer, in process',
      null,
      (s) => ({
        value: s.decisionSame?.decisionToAnswer ?? null,
        baseline: s.decisionSame?.plainGet ?? null,
        failures: s.decisionSame?.failures ?? 0,
      }),
    ),
    make(
      'cross',
      'Decision → held answer, across processes (decided on B)',
      'plain GET round trip',
      'p99 < 500 ms',
      500,
      'decision → held answer, across processes',
      null,
      (s) => ({
        value: s.decisionCross?.decisionToAnswer ?? null,
        baseline: s.decisionCross?.plainGet ?? null,
        failures: s.decisionCross?.failures ?? 0,
      }),
    ),
    make(
      'callback',
      'First callback attempt (decision sent → receiver has the POST)',
      'bare POST, sent → received',
      'p99 < 200 ms',
      200,
      'first callback attempt (gateway B alone)',
      null,
      (s) => ({
        value: s.callbacks?.firstAttempt ?? null,
        baseline: s.callbacks?.barePost ?? null,
        failures: s.callbacks?.failures ?? 0,
      }),
    ),
  ];
}

const loadErrors = (r: LoadResult | null) =>
  r && r.non2xx + r.errors + r.timeouts > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)` : '';

/** Issue 17's budgets: intake → Slack message posted, Slack click → held AI call answered (p99). */
const SLACK_POST_BUDGET_MS = 500;
const SLACK_CLICK_BUDGET_MS = 300;
/** Issue 17's budget: intake → Zendesk notification shown in a background instance. */
const ALERT_BUDGET_MS = 1000;
/** Issue 19: insights for 90 days at the largest stored size. */
const INSIGHTS_BUDGET_MS = 100;

function onceFigures(b: BackendResult, settings: BenchSettings): OnceFigure[] {
  const out: OnceFigure[] = [];
  const backend = BACKEND_TITLE[b.name] ?? b.name;
  const full = b.idleFull;
  if (full) {
    const base = b.idleEmpty;
    out.push({
      key: 'idle',
      backend,
      label: `Idle CPU, FerretDB + gateway${b.name === 'postgresql' ? ' + PostgreSQL backends' : ''} (${full.windowS} s, nothing sent)`,
      stored: full.stored,
      measured: `${f(full.percentOfCore)} % of a core`,
      baseline: base ? `${f(base.percentOfCore)} % (empty store)` : '–',
      ratio: base && base.percentOfCore > 0 ? `${f(full.percentOfCore / base.percentOfCore)}×` : '–',
      target: '< 5 %',
      met: full.percentOfCore < 5,
    });
  }
  const h = b.heldDecisions;
  if (h) {
    out.push({
      key: 'held',
      backend,
      label: `${n(h.waits)} held waits (opened over ${n(h.openedOverMs ?? 0)} ms, all timing out at the same moment), ${n(h.decided)} decided at random moments: latest answer after its decision / after its wait`,
      stored: h.stored,
      measured: `${f(h.decidedLateness.max)} / ${f(h.undecidedLateness.max)} ms${h.wrongAnswers ? ` (${h.wrongAnswers} wrong answers)` : ''}`,
      baseline:
        `decision call p50/p99 ${pair(h.decisionCall)} ms` +
        (h.bareLateness
          ? `; bare Express + findById holding ${n(h.bareLateness.count)} calls that time out together: latest ${f(h.bareLateness.max)} ms after its wait (p50 ${f(h.bareLateness.p50)})`
          : ''),
      ratio:
        h.bareLateness && h.bareLateness.max > 0
          ? `${f(h.undecidedLateness.max / h.bareLateness.max)}× (undecided)`
          : '',
      target: 'decided ≤ 1,000 ms, undecided ≤ 250 ms each',
      met:
        h.wrongAnswers === 0 &&
        h.decidedLateness.count === h.decided &&
        h.decidedLateness.max <= 1000 &&
        h.undecidedLateness.max <= 250,
    });
  }
  const i = b.intake;
  if (i) {
    const g = i.saturated.gateway;
    const base = i.saturated.baseline;
    const ratio = g && base && base.rps > 0 ? g.rps / base.rps : NaN;
    out.push({
      key: 'intake',
      backend,
      label: `Intake \`POST /api/webhooks/inbound?wait=0\`, ${settings.intakeConnections} connections: throughput`,
      stored: i.stored,
      measured: g ? `${f(g.rps)} req/s${loadErrors(g)}` : '–',
      baseline: base ? `${f(base.rps)} req/s (one insertOne)${loadErrors(base)}` : '–',
      ratio: Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)} %` : '–',
      target: '≥ 60 % of baseline',
      met: Number.isFinite(ratio) ? ratio >= 0.6 && (g?.non2xx ?? 1) === 0 : null,
    });
    const gr = i.rate.gateway;
    const br = i.rate.baseline;
    out.push({
      key: 'intakeRate',
      backend,
      label: `Intake at a fixed ${settings.intakeRate} req/s: p50 / p99`,
      stored: i.stored,
      measured: gr ? `${f(gr.p50)} / ${f(gr.p99)} ms${loadErrors(gr)}` : '–',
      baseline: br ? `${f(br.p50)} / ${f(br.p99)} ms${loadErrors(br)}` : '–',
      ratio: gr && br && br.p99 > 0 ? `${f(gr.p99 / br.p99)}×` : '–',
      target: 'p99 < 100 ms',
      met: gr ? gr.p99 < 100 && gr.non2xx + gr.errors + gr.timeouts === 0 : null,
    });
  }
  const sl = b.slack;
  if (sl) {
    const fails = sl.failures ? ` (${sl.failures} failed)` : '';
    out.push({
      key: 'slackPost',
      backend,
      label: "Slack: intake sent → the gateway's `chat.postMessage` at a local fake Slack Web API: p50 / p99",
      stored: sl.stored,
      measured: `${f(sl.intakeToPost.p50)} / ${f(sl.intakeToPost.p99)} ms${fails}`,
      baseline: `${f(sl.directPost.p50)} / ${f(sl.directPost.p99)} ms (the same post, @slack/web-api from the bench)`,
      ratio: sl.directPost.p99 > 0 ? `${f(sl.intakeToPost.p99 / sl.directPost.p99)}×` : '–',
      target: `p99 ≤ ${SLACK_POST_BUDGET_MS} ms`,
      met: sl.failures === 0 && sl.intakeToPost.count > 0 && sl.intakeToPost.p99 <= SLACK_POST_BUDGET_MS,
    });
    out.push({
      key: 'slackClick',
      backend,
      label: 'Slack: signed Approve click → held `?wait=20` call answered: p50 / p99',
      stored: sl.stored,
      measured: `${f(sl.clickToAnswer.p50)} / ${f(sl.clickToAnswer.p99)} ms${fails}`,
      baseline: `${f(sl.plainGet.p50)} / ${f(sl.plainGet.p99)} ms (plain GET); interaction ack ${pair(sl.interactionAck)} ms`,
      ratio: sl.plainGet.p99 > 0 ? `${f(sl.clickToAnswer.p99 / sl.plainGet.p99)}×` : '–',
      target: `p99 ≤ ${SLACK_CLICK_BUDGET_MS} ms`,
      met: sl.failures === 0 && sl.clickToAnswer.count > 0 && sl.clickToAnswer.p99 <= SLACK_CLICK_BUDGET_MS,
    });
  }
  const al = b.backgroundAlert;
  if (al) {
    out.push({
      key: 'backgroundAlert',
      backend,
      label: 'Intake sent → Zendesk notification shown by the background location (harness, Chromium): p50 / p99',
      stored: al.stored,
      measured: `${f(al.intakeToNotification.p50)} / ${f(al.intakeToNotification.p99)} ms${al.failures ? ` (${al.failures} failed)` : ''}`,
      baseline: `${f(al.intakeToNotifyApp.p50)} / ${f(al.intakeToNotifyApp.p99)} ms (the gateway's notify-app reaching the harness)`,
      ratio: al.intakeToNotifyApp.p99 > 0 ? `${f(al.intakeToNotification.p99 / al.intakeToNotifyApp.p99)}×` : '–',
      target: `p99 ≤ ${ALERT_BUDGET_MS} ms`,
      met: al.failures === 0 && al.intakeToNotification.count > 0 && al.intakeToNotification.p99 <= ALERT_BUDGET_MS,
    });
  }
  const ins = b.insights;
  if (ins) {
    out.push({
      key: 'insights',
      backend,
      label: `Insights \`GET /api/agent/insights?days=90\` over ${n(ins.synthetic.docs)} rollup documents (${ins.synthetic.days} days × ${ins.synthetic.writers} writers × ${ins.synthetic.actions} actions) and the stored approvals' own: p50 / p99`,
      stored: ins.stored,
      measured: `${f(ins.insights.p50)} / ${f(ins.insights.p99)} ms${ins.failures ? ` (${ins.failures} failed)` : ''}; the gateway's first read (every day from the database) ${f(ins.firstRead)} ms; suggestions (backtest scan, one call) ${f(ins.suggestions.p50)} ms; fill from ${n(ins.fill.approvals)} approvals ${n(ins.fill.ms)} ms`,
      baseline: `${f(ins.plainGet.p50)} / ${f(ins.plainGet.p99)} ms (plain GET of an approval, same run)`,
      ratio: ins.plainGet.p99 > 0 ? `${f(ins.insights.p99 / ins.plainGet.p99)}×` : '–',
      target: `p99 < ${INSIGHTS_BUDGET_MS} ms`,
      met: ins.failures === 0 && ins.insights.count > 0 && ins.insights.p99 < INSIGHTS_BUDGET_MS,
    });
  }
  const m = b.heldMemory;
  if (m) {
    out.push({
      key: 'memory',
      backend,
      label: `${n(m.waits)} held waits: RSS of gateway A (default start)`,
      stored: m.stored,
      measured: `${f(m.rssHeldMb)} MB (${n(m.held)} held)${m.answeredEarly ? `, ${m.answeredEarly} answered early` : ''}`,
      baseline: `${f(m.rssBeforeMb)} MB just before`,
      ratio: m.rssBeforeMb > 0 ? `${f(m.rssHeldMb / m.rssBeforeMb)}×` : '–',
      target: '< 200 MB',
      met: m.rssHeldMb < 200 && m.held >= m.waits && m.answeredEarly === 0,
    });
  }
  return out;
}

/** CPU seconds of the database processes (FerretDB, and PostgreSQL's backends) in a phase. */
const dbCpu = (p: PhaseRecord) => (p.cpuS['ferretdb'] ?? 0) + (p.cpuS['postgres'] ?? 0);
const serverCpu = (p: PhaseRecord) => (p.cpuS['gatewayA'] ?? 0) + (p.cpuS['gatewayB'] ?? 0) + (p.cpuS['baseline'] ?? 0);
const phaseOf = (b: BackendResult, size: number, name: string) =>
  b.phases.find((p) => p.size === size && p.name === name) ?? null;
const perRequestMs = (cpuS: number, p: PhaseRecord | null) => (p && p.requests ? (cpuS * 1000) / p.requests : NaN);

/** What the measurements themselves say about each missed target (CPU per request, tails, other load). */
function inferReasons(b: BackendResult, figures: SizeFigure[], once: OnceFigure[]): string[] {
  const out: string[] = [];
  const title = BACKEND_TITLE[b.name] ?? b.name;
  for (const fig of figures) {
    if (fig.targetMet !== false && fig.scaleMet !== false) continue;
    const parts: string[] = [];
    fig.sizes.forEach((size, idx) => {
      const v = fig.values[idx];
      const base = fig.baselines[idx];
      const p = phaseOf(b, size, fig.phase);
      const bp = fig.baselinePhase ? phaseOf(b, size, fig.baselinePhase) : null;
      if (!v || !p) return;
      const bits = [`at ${k(size)}: p50/p99 ${pair(v)} ms (max ${f(v.max)}) vs ${fig.baselineLabel} ${pair(base)} ms`];
      const db = perRequestMs(dbCpu(p), p);
      const srv = perRequestMs(serverCpu(p), p);
      if (Number.isFinite(db)) {
        const bdb = perRequestMs(dbCpu(bp ?? p), bp);
        const bsrv = perRequestMs(serverCpu(bp ?? p), bp);
        bits.push(
          `CPU per request: database ${f(db)} ms, gateway ${f(srv)} ms` +
            (Number.isFinite(bdb)
              ? ` (baseline: database ${f(bdb)} ms, server ${f(bsrv)} ms → ≈ ${f(db / bdb)}× the database work of one findById)`
              : ''),
        );
      }
      const other = p.cpuS['other'] ?? 0;
      if (other / p.wallS > 0.3) bits.push(`other processes on the machine used ${f(other / p.wallS)} cores meanwhile`);
      if (fig.failures[idx]) bits.push(`${fig.failures[idx]} failed samples`);
      parts.push(bits.join('; '));
    });
    const why: string[] = [];
    if (fig.targetMet === false) why.push(`target ${fig.target} missed`);
    if (fig.scaleMet === false)
      why.push(
        `p99 at ${k(fig.sizes.at(-1) ?? 0)} is ${f(fig.scaleP99)}× the p99 at ${k(fig.sizes[0] ?? 0)} (p50: ${f(fig.scaleP50)}×; target ≤ 2×)`,
      );
    out.push(`- **${title}, ${fig.label}** — ${why.join('; ')}. ${parts.join('. ')}.`);
  }
  for (const o of once) {
    if (o.met !== false) continue;
    const bits: string[] = [];
    if (o.key === 'idle' && b.idleFull) {
      const c = b.idleFull.cpuS;
      bits.push(
        `over ${b.idleFull.windowS} s: FerretDB ${f(c['ferretdb'] ?? 0)} s, gateway A ${f(c['gatewayA'] ?? 0)} s` +
          (b.name === 'postgresql' ? `, PostgreSQL backends ${f(c['postgres'] ?? 0)} s` : '') +
          (b.idleEmpty ? `; with an empty store ${f(b.idleEmpty.percentOfCore)} %` : ''),
      );
    }
    if ((o.key === 'intake' || o.key === 'intakeRate') && b.intake) {
      const sizeOf = b.intake.stored;
      const size = b.sizes.at(-1)?.size ?? sizeOf;
      const pg = phaseOf(b, size, o.key === 'intake' ? 'intake saturated' : 'intake at fixed rate');
      const pb = phaseOf(b, size, o.key === 'intake' ? 'baseline insert saturated' : 'baseline insert at fixed rate');
      if (pg && pb) {
        bits.push(
          `CPU per request: database ${f(perRequestMs(dbCpu(pg), pg))} ms and gateway ${f(perRequestMs(serverCpu(pg), pg))} ms ` +
            `vs baseline database ${f(perRequestMs(dbCpu(pb), pb))} ms and server ${f(perRequestMs(serverCpu(pb), pb))} ms` +
            ` (≈ ${f(perRequestMs(dbCpu(pg), pg) / perRequestMs(dbCpu(pb), pb))}× the database work of one insert); ` +
            `cores busy with our processes: gateway run ${f((dbCpu(pg) + serverCpu(pg) + (pg.cpuS['bench'] ?? 0)) / pg.wallS)}, ` +
            `baseline run ${f((dbCpu(pb) + serverCpu(pb) + (pb.cpuS['bench'] ?? 0)) / pb.wallS)} of 2; other processes ${f((pg.cpuS['other'] ?? 0) / pg.wallS)}`,
        );
      }
    }
    if (o.key === 'memory' && b.heldMemory) {
      const m = b.heldMemory;
      bits.push(
        `RSS ${f(m.rssBeforeMb)} MB before → ${f(m.rssHeldMb)} MB held (${f(((m.rssHeldMb - m.rssBeforeMb) * 1024) / Math.max(1, m.held))} KB per held call) → ${f(m.rssAfterMb)} MB after release; peak ${f(m.peakRssMb)} MB`,
      );
    }
    if (o.key === 'held' && b.heldDecisions) {
      const h = b.heldDecisions;
      bits.push(
        `decided: p50/p99/max ${f(h.decidedLateness.p50)}/${f(h.decidedLateness.p99)}/${f(h.decidedLateness.max)} ms; ` +
          `undecided: p50/p99/max ${f(h.undecidedLateness.p50)}/${f(h.undecidedLateness.p99)}/${f(h.undecidedLateness.max)} ms; ` +
          `${h.wrongAnswers} wrong answers ${h.wrongSamples.length ? JSON.stringify(h.wrongSamples) : ''}`,
      );
    }
    out.push(
      `- **${title}, ${o.label}** (${n(o.stored)} stored) — ${o.measured} against ${o.target}. ${bits.join('. ')}.`,
    );
  }
  return out;
}

export function buildReport(results: BenchResults): Report {
  const cpus = os.cpus();
  const perSize: Record<string, SizeFigure[]> = {};
  const once: OnceFigure[] = [];
  const reasons: string[] = [];
  for (const b of results.backends) {
    const figures = sizeFigures(b, results.settings);
    const o = onceFigures(b, results.settings);
    perSize[b.name] = figures;
    once.push(...o);
    reasons.push(...inferReasons(b, figures, o));
  }
  const notesPath = path.join(REPO_ROOT, 'bench', 'notes.md');
  return {
    results,
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    perSize,
    once,
    reasons,
    notes: existsSync(notesPath) ? readFileSync(notesPath, 'utf8').trim() : null,
  };
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

function sizeTable(figures: SizeFigure[], sizes: number[]): string[] {
  const head = `| Figure (p50 / p99 ms) | ${sizes.map((s) => `${k(s)} stored`).join(' | ')} | Baseline (p50 / p99 ms at ${sizes.map(k).join(' · ')}) | p99 ${k(sizes.at(-1) ?? 0)}/${k(sizes[0] ?? 0)} | Target | Met | ≤ 2× |`;
  const rule = `| --- | ${sizes.map(() => '---').join(' | ')} | --- | --- | --- | --- | --- |`;
  const rows = figures.map((fig) => {
    const cells = sizes.map((s) => {
      const i = fig.sizes.indexOf(s);
      if (i < 0) return '–';
      const note = [fig.notes[i], fig.failures[i] ? `${fig.failures[i]} failed` : ''].filter(Boolean).join(', ');
      return `${pair(fig.values[i])}${note ? ` (${note})` : ''}`;
    });
    const bases = sizes.map((s) => {
      const i = fig.sizes.indexOf(s);
      return i < 0 ? '–' : pair(fig.baselines[i]);
    });
    return `| ${esc(fig.label)} | ${cells.join(' | ')} | ${fig.baselineLabel}: ${bases.join(' · ')} | ${Number.isFinite(fig.scaleP99) ? `${f(fig.scaleP99)}× (p50 ${f(fig.scaleP50)}×)` : '–'} | ${fig.target} | ${yes(fig.targetMet)} | ${yes(fig.scaleMet)} |`;
  });
  return [head, rule, ...rows];
}

function onceTable(once: OnceFigure[]): string[] {
  return [
    '| Backend | Figure | Stored | Measured | Baseline | Ratio | Target | Met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...once.map(
      (o) =>
        `| ${o.backend} | ${esc(o.label)} | ${n(o.stored)} | ${esc(o.measured)} | ${esc(o.baseline)} | ${o.ratio || '–'} | ${o.target} | ${yes(o.met)} |`,
    ),
  ];
}

function cpuTable(b: BackendResult): string[] {
  const isPg = b.name === 'postgresql';
  const v = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
  const head = `| Stored | Phase | Wall s | Requests | FerretDB | ${isPg ? 'PostgreSQL | ' : ''}Gateway A | Gateway B | Baseline | Bench | Other | DB CPU ms/req | Server CPU ms/req |`;
  const rule = `| --- | --- | --- | --- | --- | ${isPg ? '--- | ' : ''}--- | --- | --- | --- | --- | --- | --- |`;
  const rows = b.phases.map((p) => {
    const c = p.cpuS;
    return `| ${k(p.size)} | ${esc(p.name)} | ${p.wallS.toFixed(1)} | ${p.requests ?? '–'} | ${v(c['ferretdb'])} | ${isPg ? `${v(c['postgres'])} | ` : ''}${v(c['gatewayA'])} | ${v(c['gatewayB'])} | ${v(c['baseline'])} | ${v(c['bench'])} | ${v(c['other'])} | ${v(perRequestMs(dbCpu(p), p))} | ${v(perRequestMs(serverCpu(p), p))} |`;
  });
  return [head, rule, ...rows];
}

function howMeasured(r: BenchResults): string[] {
  const s = r.settings;
  return [
    '## How each figure was measured',
    '',
    `- **Processes.** Per backend one FerretDB (the patched build in .tools/) with a database that grows ${s.sizes.map(k).join(' → ')} approvals. At each size gateway A (\`node server/dist/main.js\`: the compiled gateway, as \`npm start\` runs it; NODE_ENV=production), gateway B (the same, NODE_ENV=development with CHEQPOINT_CALLBACK_ALLOWLIST=127.0.0.1:<receiver port>, the only way a gateway may call a loopback receiver) and the bare baseline (bench/baseline-server.ts: Express + mongoose, one database operation per request) are started after the seeding step (a gateway reads the pending set once at start), all with LOG_LEVEL=warn, CHEQPOINT_RATE_LIMIT_PER_SECOND=0 and every other setting at its default. Requests come from the benchmark process over real HTTP on 127.0.0.1 (node:http, keep-alive, one request at a time unless said otherwise).`,
    `- **Seeding.** insertMany batches of 1,000 straight into the collections in the gateway's storage format (version 3, written to \`cheqpoint_meta\` before the first gateway starts, so no in-place upgrade runs): per approval an \`approvals\` document (10 % pending, the rest approved with decidedAt/decidedBy), a \`decisions\` record for each decided one (delivery state \`none\`), a \`ticket_slots\` entry \`<account>:<ticket>:<n>\` (20 approvals per ticket, n dense in creation order), a \`pending_approvals\` entry for each pending one; audit events: ${s.auditSeeded === 'all' ? 'requested and decided for every approval' : s.auditSeeded === 'pending' ? '`requested` (seq 1) for the pending approvals only — the chains a decision reads; the decided approvals have none (their chains are read by no measured path, and writing them doubles the seeding time on SQLite)' : 'none'}. No change-feed entries, idempotency records or callback outbox entries are seeded (the gateway's reads here never look at old ones). Pending approvals expire in 7 days, so the expiry sweep finds nothing due.`,
    `- **GET /api/approvals/{id}**: ${s.reads} sequential GETs with the flow key of random seeded approvals (half pending, half decided), after ${s.warmup} untimed ones. Baseline: the same number of \`GET /approvals/:id\` on the bare server (one \`findById\` on the same collection), same ids, same database, same size; this is also the baseline of the two lists (the floor any HTTP + database read pays).`,
    `- **Ticket list**: ${s.ticketLists} sequential \`GET /api/agent/approvals?ticketId=t<random>\` with the agent key; each ticket has 20 approvals (2 pending).`,
    `- **Queue first page**: ${s.queuePages} sequential \`GET /api/agent/approvals?status=pending&limit=${s.queueLimit}\` with the agent key; the pending count at that moment is in the cell.`,
    `- **Pending set grown to ${n(s.widePending)}** (each size, after the other phases on A): extra pending-set entries (\`pending_approvals\`, on tickets of 10 of their own, created after everything seeded, so every seeded ticket is the same and the queue's first page is the oldest pending ones, extras only where too few seeded ones are left) written straight into the store, gateway A restarted (it reads the whole pending set at start; B and the baseline run on, as before), then the same ticket lists and queue pages as above; the extras are removed afterwards. The entries are what a ticket list or a queue page would filter or sort; the oldest 1,000 also have their approval stored (a queue page that reaches the extras reads those, as it would real ones), the others' approvals are not written, since no measured call reads them, so the store stays the size's and only the working set differs. Baseline: the same calls measured earlier at that size with its own pending set (the ratio of p50s is in the cell).`,
    `- **Decision → held answer**: ${s.decisions} seeded pending approvals per size and kind; \`GET /api/approvals/{id}?wait=20\` held on gateway A (own connection), then after ${s.holdDelayMs} ms \`POST /api/agent/approvals/{id}/decision\` with \`{"decision":"approve","agent":{"id":"1","name":"Bench"}}\` on A (in process, ${s.sameConcurrency} samples at a time) or on B (across processes, ${s.crossConcurrency} at a time); timed from sending the decision to the held call's last byte. Baseline: a plain GET of the same approval on A right after.`,
    `- **First callback attempt**: with A and the baseline stopped (A's production-mode dispatcher would refuse the loopback receiver if its poll took the delivery first), ${s.callbacks} approvals created on B with \`callbackUrl\` at the receiver in the benchmark process, each decided on B; timed from sending the decision to the receiver having the whole POST (same clock). Baseline: a bare POST of a callback-sized body from the benchmark process to the same receiver, sent → received.`,
    `- **Slack** (at the largest size, gateway A): a fake Slack Web API in the benchmark process (test/support/fake-slack.ts, answered as Slack does), the account connected to it as \`slack connect --api-url\` stores it; ${s.quick ? 15 : 40} samples one at a time: \`POST /api/webhooks/inbound?wait=0\` timed from sending to the fake having the gateway's \`chat.postMessage\` for that approval (the outbox's immediate send; same clock), then \`GET /api/approvals/{id}?wait=20\` held and after ${s.holdDelayMs} ms a signed Approve click (form-encoded \`payload\`, \`v0\` HMAC) to \`/api/slack/interactions\` from one of 4 Slack users (no deciders: anyone in the channel), timed from sending the click to the held call's last byte (users.info and the decision run after the 200 acknowledgement). Baselines: the same \`chat.postMessage\` sent with @slack/web-api from the benchmark process to the fake; a plain GET of the approval on A right after.`,
    `- **Insights** (at the largest size, gateway A): the rollups the upgrade in place fills from every stored approval and decision (timed), plus a busy period on top: 90 days × 3 writers (gateway processes) × 8 actions, each with every counter, full time-to-decision and amount histograms and 20 agents; then one first \`GET /api/agent/insights?days=90\` (timed alone: the gateway has none of the period in memory, every day is read from the database), then ${s.reads} sequential ones (agent key, after ${s.warmup} untimed ones; finished days come from the gateway's memory, today from the database), each followed by the baseline, a plain \`GET /api/approvals/{id}\` of a seeded approval, so both see the same machine; and one \`GET /api/agent/insights/suggestions?days=90\`, whose backtest scans the stored approvals (the Insights tab shows it after the table; an admin's rare read, no budget).`,
    `- **Zendesk notification** (at the largest size, gateway A): the app built as for the browser tests, served by the harness (zendesk-app/harness) with one agent and one background instance on another ticket, in headless Chromium; the account's Zendesk connection points at the harness's Zendesk API, so the gateway's notify-app reaches the background instance as \`api_notification.cheqpoint_changed\`; ${s.quick ? 8 : 20} samples one at a time, each \`POST /api/webhooks/inbound?wait=0\` on a ticket of its own, timed (wall clock of one machine) from sending to Zendesk's notification (\`notify\`) appearing in the page. Baseline: sending → the gateway's notify-app call reaching the harness (the server's share).`,
    `- **Idle CPU**: gateway A alone (B and the baseline not started yet), after waiting (≤ ${s.quietMaxS} s) for FerretDB${'/PostgreSQL'} and A to go quiet plus 2 s, then CPU seconds from /proc over ${s.idleS} s with nothing sent: FerretDB + gateway A (+ the PostgreSQL backend processes serving the bench database), in % of one core. Baseline: the same with an empty store, before seeding.`,
    `- **${n(s.waits)} held waits** (at ${k(s.waitsSize)} stored, or the largest size if smaller) on A, one connection each, distinct pending approvals, opened 20 at a time, each 20 once A's \`cheqpoint_held_waits\` gauge shows the ones before held (so that no call waits in A's queue: a call read late counts its wait from then), each with the wait (\`?wait=\` takes milliseconds) that ends ${s.waitS} s after the first was sent, so that all of them time out at the same moment; once A's \`cheqpoint_held_waits\` gauge shows them all, ${n(s.waitsDecided)} of them (at random) are decided on A at random moments within ${s.decideWindowS} s (and at least 1 s before their own wait ends). Lateness: decided = answer − decision sent; undecided = answer − that moment: the latest of each is the figure.`,
    `- **Intake** (at the largest size): \`POST /api/webhooks/inbound?wait=0\` with the flow key and unique details over 200 tickets, autocannon with ${s.intakeConnections} connections for ${s.intakeLoadS} s after ${s.intakeWarmupS} s of warm-up, then a fixed ${s.intakeRate} req/s for ${s.intakeRateS} s (autocannon overallRate). Baseline: the bare server's \`POST /insert\` (one insertOne of an approval-shaped document), same connections and durations.`,
    `- **${n(s.memoryWaits)} held waits, memory** (at the largest size): \`?wait=20\` on A (as started by default, after the other phases there) on distinct pending approvals, opened 50 per 100 ms; A's VmRSS from /proc/<pid>/status, highest over ${s.memoryHoldS} s once all are held; baseline: its RSS just before.`,
    '- **CPU table**: CPU seconds from /proc/<pid>/stat per process and phase (10 ms ticks); "Bench" is the benchmark process (load generator, receiver); "Other" is what the rest of the machine used meanwhile (/proc/stat busy time minus ours; other work on the machine, PostgreSQL background processes). Per-request columns divide by the requests the phase timed (warm-ups are in the CPU but not the count). Before each phase the run waits (≤ 5 s) for the processes to go quiet.',
    '- **100k/1k ratio**: p99 at the largest size ÷ p99 at the smallest (p50 in brackets); "≤ 2×" is met when that p99 ratio is at most 2.',
  ];
}

export function markdown(report: Report): string {
  const r = report.results;
  const m = report.machine;
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Latest run of \`npm run bench\`: ${r.startedAt}, **${r.durationS} s** wall time${r.settings.quick ? ' (BENCH_QUICK=1: trial run, smaller sizes and samples)' : ''}. ` +
      'Every figure has its bare baseline measured in the same run. This file is written by each run (the "Why" section at the end is bench/notes.md, verbatim); the raw figures are in `bench/results/latest.json` (not committed).',
    '',
    '## Machine and databases',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${m.cpu} |`,
    `| Cores | ${m.cores} |`,
    `| Memory | ${m.memoryGiB} GiB |`,
    `| Node | ${m.node} |`,
    `| OS | ${m.os} |`,
    `| Load average (1 min): start / highest / end | ${r.loadAverage.start.toFixed(2)} / ${r.loadAverage.max.toFixed(2)} / ${r.loadAverage.end.toFixed(2)} (other work shared the machine; see "Other" in the CPU tables) |`,
    ...r.backends.map(
      (b) =>
        `| ${BACKEND_TITLE[b.name] ?? b.name} | ${b.label}; ${Object.entries(b.versions)
          .map(([name, v]) => `${name} ${v}`)
          .join(', ')}${b.serverVersion ? `; reports MongoDB ${b.serverVersion}` : ''} |`,
    ),
    '',
    '## Results per backend',
    '',
  ];
  for (const b of r.backends) {
    lines.push(`### ${BACKEND_TITLE[b.name] ?? b.name}`, '');
    const figures = report.perSize[b.name] ?? [];
    lines.push(...sizeTable(figures, r.settings.sizes), '');
    const stored = b.sizes
      .map((s) =>
        s.stored
          ? `${k(s.size)}: ${n(s.stored.approvals)} approvals, ${n(s.stored.decisions)} decisions, ${n(s.stored.pending)} pending`
          : '',
      )
      .filter(Boolean);
    if (stored.length) lines.push(`Stored when measured: ${stored.join('; ')}.`, '');
    const errors = Object.entries(b.errors);
    if (errors.length) {
      lines.push(
        'Failed or skipped:',
        '',
        ...errors.map(([key, msg]) => `- ${key}: \`${esc(msg.split('\n')[0] ?? '').slice(0, 300)}\``),
        '',
      );
    }
  }
  lines.push('## Once per backend', '', ...onceTable(report.once), '');
  if (Object.keys(r.errors).length) {
    lines.push(...Object.entries(r.errors).map(([key, msg]) => `- ${key}: ${msg}`), '');
  }
  lines.push('## Where the time went (CPU seconds per phase)', '');
  for (const b of r.backends) {
    lines.push(`### ${BACKEND_TITLE[b.name] ?? b.name}`, '', ...cpuTable(b), '');
    const seeds = b.sizes
      .filter((s) => s.seed)
      .map(
        (s) =>
          `${k(s.size)}: ${(s.seed!.ms / 1000).toFixed(1)} s for ${n(Object.values(s.seed!.docs).reduce((a, x) => a + x, 0))} documents`,
      );
    if (seeds.length) lines.push(`Seeding steps: ${seeds.join('; ')}.`, '');
  }
  lines.push(...howMeasured(r), '');
  lines.push(
    '## Missed targets: what the measurements say',
    '',
    report.reasons.length
      ? 'Generated from this run (CPU per request from the table above; baselines from the same run):'
      : 'Every target was met in this run.',
    '',
    ...report.reasons,
    '',
  );
  lines.push('## Why, and what would reach it', '', report.notes ?? '(bench/notes.md is missing.)', '');
  lines.push(
    '## Running it',
    '',
    '`npm run bench` (both backends, about 12–15 minutes on 2 cores; PostgreSQL at 127.0.0.1:5432 with trust auth for user postgres). `BENCH_QUICK=1` for a short trial run, `BENCH_BACKENDS=sqlite` (or `postgresql`) for one backend, `BENCH_POSTGRESQL_URL` for another PostgreSQL server. Every process it starts is stopped, and its PostgreSQL database dropped, also on Ctrl-C and on failure.',
    '',
  );
  return lines.join('\n');
}

/** A plain-text summary for the terminal. */
export function textSummary(report: Report): string {
  const out: string[] = [];
  const sizes = report.results.settings.sizes;
  for (const [backend, figures] of Object.entries(report.perSize)) {
    out.push(
      `\n${BACKEND_TITLE[backend] ?? backend} (p50/p99 ms at ${sizes.map(k).join(', ')}; baseline; p99 ratio; target; met)`,
    );
    for (const fig of figures) {
      out.push(
        `  ${fig.label.padEnd(70)} ${fig.values.map(pair).join(' | ').padEnd(40)} base ${fig.baselines.map(pair).join(' | ')}  ${f(fig.scaleP99)}×  ${fig.target}  ${fig.targetMet === null ? '–' : fig.targetMet ? 'yes' : 'NO'}/${fig.scaleMet === null ? '–' : fig.scaleMet ? 'yes' : 'NO'}`,
      );
    }
  }
  out.push('\nOnce per backend:');
  for (const o of report.once) {
    out.push(
      `  ${o.backend}: ${o.label}: ${o.measured} (baseline ${o.baseline}) target ${o.target}: ${o.met === null ? '–' : o.met ? 'yes' : 'NO'}`,
    );
  }
  return out.join('\n');
}

export function writeReport(report: Report) {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2);
  writeFileSync(path.join(dir, 'latest.json'), `${json}\n`);
  writeFileSync(path.join(dir, `run-${report.results.startedAt.replace(/[:.]/g, '-')}.json`), `${json}\n`);
  writeFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), markdown(report));
  console.log(textSummary(report));
}
