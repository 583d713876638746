import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApprovalView } from '../api/approval-view';
import { GatewayError, type ApprovalPage, type LiveQuery } from '../api/gateway-client';
import { useClient } from './useClient';

/** How often a visible, active app re-fetches when the gateway offers no held list calls (ms). */
export const POLL_INTERVAL_MS = 30_000;

/** How long the gateway holds a list call open for a change (s; its maximum is 20). */
export const LIVE_WAIT_SECONDS = 20;

/** Held calls start at most this often (ms): a gateway that cannot hold (full, or cut by a proxy) is not hammered. */
export const LIVE_MIN_INTERVAL_MS = 1_000;

/** Pauses after failed held calls, then a plain list (whose failure shows the error) (ms). */
export const LIVE_BACKOFF_MS = [2_000, 5_000, 15_000, 30_000] as const;

/** How long an approval stays marked new without the agent touching it (ms). */
export const NEW_MARK_MS = 2 * 60_000;

/** Ticket events after which the sidebar re-fetches. */
export const TICKET_EVENTS = ['ticket.updated', 'ticket.submit.done', 'ticket.statusCategory.changed'] as const;

/** The gateway's push through Zendesk's notify-app API (body `{ ticketId, approvalId, change }`). */
export const CHANGED_NOTIFICATION = 'api_notification.cheqpoint_changed';

export type ApprovalsState =
  | { status: 'loading'; approvals: ApprovalView[]; error: null }
  | { status: 'ready'; approvals: ApprovalView[]; error: GatewayError | null }
  | { status: 'error'; approvals: ApprovalView[]; error: GatewayError };

/** Loads a list; with `live`, a held call (see IGatewayClient.pageForTicket). A bare array has no cursor. */
export type ApprovalsLoader = (live?: LiveQuery) => Promise<ApprovalView[] | ApprovalPage>;

export type ApprovalsOptions = {
  /** Whether a `cheqpoint_changed` notification concerns this list (all do, unless given). */
  isNotified?: (body: { ticketId?: unknown; approvalId?: unknown; change?: unknown }) => boolean;
};

const toGatewayError = (err: unknown) =>
  err instanceof GatewayError ? err : new GatewayError('invalid-reply', err instanceof Error ? err.message : 'Error');
const toPage = (reply: ApprovalView[] | ApprovalPage): ApprovalPage =>
  Array.isArray(reply) ? { approvals: reply, cursor: null } : reply;
const backoffMs = (failures: number) => LIVE_BACKOFF_MS[Math.min(failures, LIVE_BACKOFF_MS.length - 1)] ?? 30_000;
const NO_EVENTS: readonly string[] = [];
const isVisible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';

/**
 * Loads approvals and keeps them fresh without a reload. While the app is active and visible, ONE held
 * list call is outstanding: the gateway answers it when something in its scope changes (or after 20 s),
 * and it is re-issued with the new cursor, so a change shows within about a second while each open app
 * makes about 3 calls a minute (they all share one agent key's rate limit). A gateway without cursors
 * falls back to a 30 s poll. Also refreshed at once on `app.activated`, the given ZAF events, the page
 * becoming visible again and the gateway's `cheqpoint_changed` notification. Stopped on
 * `app.deactivated`, `app.willDestroy`, hidden and unmount: a held call cannot be aborted through ZAF,
 * so its late answer is ignored. Approvals not in the previous list (after the first) are in `newIds`
 * until `seen(id)` (the agent touched the card) or 2 minutes.
 */
export function useApprovals(
  load: ApprovalsLoader,
  events: readonly string[] = NO_EVENTS,
  options: ApprovalsOptions = {},
) {
  const { client } = useClient();
  const [state, setState] = useState<ApprovalsState>({ status: 'loading', approvals: [], error: null });
  const [newIds, setNewIds] = useState<ReadonlySet<string>>(() => new Set());
  const loadRef = useRef(load);
  loadRef.current = load;
  const isNotifiedRef = useRef(options.isNotified);
  isNotifiedRef.current = options.isNotified;
  const sequence = useRef(0);
  /** The latest plain list call while it runs. */
  const inflight = useRef<Promise<boolean> | null>(null);
  const cursor = useRef<string | null>(null);
  /** Ids of the previous list; null until the first list (nothing is new in it). */
  const known = useRef<Set<string> | null>(null);
  const newTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  /** Restarts the held-call loop (set by the effect below). */
  const restartLive = useRef<() => void>(() => undefined);

  const seen = useCallback((approvalId: string) => {
    clearTimeout(newTimers.current.get(approvalId));
    newTimers.current.delete(approvalId);
    setNewIds((prev) => {
      if (!prev.has(approvalId)) return prev;
      const next = new Set(prev);
      next.delete(approvalId);
      return next;
    });
  }, []);

  /** Shows a list: marks what was not in the previous one as new, takes its cursor, clears the error. */
  const apply = useCallback(
    (page: ApprovalPage) => {
      const ids = page.approvals.map((a) => a.approvalId);
      const arrived = known.current === null ? [] : ids.filter((id) => !known.current?.has(id));
      known.current = new Set(ids);
      cursor.current = page.cursor;
      setState({ status: 'ready', approvals: page.approvals, error: null });
      if (arrived.length === 0) return;
      for (const id of arrived)
        newTimers.current.set(
          id,
          setTimeout(() => seen(id), NEW_MARK_MS),
        );
      setNewIds((prev) => new Set([...prev, ...arrived]));
    },
    [seen],
  );

  /** A plain list call; resolves true when it succeeded and was shown. */
  const plainList = useCallback(
    async (isInitial: boolean): Promise<boolean> => {
      const id = ++sequence.current;
      if (isInitial) {
        known.current = null;
        setState({ status: 'loading', approvals: [], error: null });
      }
      try {
        const page = toPage(await loadRef.current());
        if (id !== sequence.current) return false;
        apply(page);
        return true;
      } catch (err) {
        if (id !== sequence.current) return false;
        const error = toGatewayError(err);
        // [1] a failed background refresh keeps the cards and shows a notice instead of the error page
        setState((prev) =>
          prev.approvals.length > 0
            ? { status: 'ready', approvals: prev.approvals, error }
            : { status: 'error', approvals: [], error },
        );
        return false;
      }
    },
    [apply],
  );

  /** A plain list call, remembered while it runs (a held-call loop waits for it rather than start another). */
  const refresh = useCallback(
    (isInitial = false): Promise<boolean> => {
      const running = plainList(isInitial).finally(() => {
        if (inflight.current === running) inflight.current = null;
      });
      inflight.current = running;
      return running;
    },
    [plainList],
  );

  /** Puts a fresher copy of one approval into the list (after a decision or a 409). */
  const replace = useCallback((approval: ApprovalView) => {
    setState((prev) => ({
      ...prev,
      approvals: prev.approvals.map((a) => (a.approvalId === approval.approvalId ? approval : a)),
    }));
  }, []);

  useEffect(() => {
    let isActive = true;
    /** Bumped on every stop and start: a step or answer of an older run does nothing. */
    let run = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let poll: ReturnType<typeof setInterval> | null = null;
    let failures = 0;
    const isRunning = () => isActive && isVisible();
    const clear = () => {
      if (timer !== null) clearTimeout(timer);
      if (poll !== null) clearInterval(poll);
      timer = null;
      poll = null;
    };
    const schedule = (mine: number, ms: number, step: (mine: number) => Promise<void>) => {
      clear();
      if (mine === run) timer = setTimeout(() => void step(mine), ms);
    };

    /** After a failed held call: a plain list; once it succeeds, held calls resume. */
    const recover = async (mine: number) => {
      if (mine !== run) return;
      const ok = await refresh();
      if (mine !== run) return;
      if (ok) {
        failures = 0;
        await hold(mine);
      } else {
        schedule(mine, backoffMs(failures++), recover);
      }
    };

    /** One held call (or, without a cursor, the poll's plain list), then the next. */
    const hold = async (mine: number) => {
      // A plain list still running (a superseded one resolves first) brings the cursor: wait for it.
      while (mine === run && inflight.current) await inflight.current;
      if (mine !== run) return;
      const since = cursor.current;
      if (since === null) {
        // No cursor yet (the first list failed) or a gateway without held calls: the modest poll, until a
        // list brings a cursor.
        clear();
        poll = setInterval(() => {
          void refresh().then(() => {
            if (mine === run && cursor.current !== null) void hold(mine);
          });
        }, POLL_INTERVAL_MS);
        return;
      }
      const startedAt = Date.now();
      try {
        const page = toPage(await loadRef.current({ since, waitSeconds: LIVE_WAIT_SECONDS }));
        if (mine !== run) return; // stopped (or restarted) meanwhile: the late answer is ignored
        sequence.current++; // fresher than any plain list still in flight
        apply(page);
        failures = 0;
        schedule(mine, Math.max(0, LIVE_MIN_INTERVAL_MS - (Date.now() - startedAt)), hold);
      } catch {
        if (mine !== run) return;
        schedule(mine, backoffMs(failures++), recover);
      }
    };

    const stop = () => {
      run++;
      clear();
    };
    /** Refreshes now, then keeps one held call outstanding while active and visible. */
    const start = () => {
      stop();
      if (!isRunning()) return;
      const mine = run;
      if (!inflight.current) void refresh();
      void hold(mine);
    };
    restartLive.current = start;

    const onRefresh = () => void refresh();
    const onNotified = (data?: unknown) => {
      const body = ((data as { body?: unknown } | undefined)?.body ?? data ?? {}) as Parameters<
        NonNullable<ApprovalsOptions['isNotified']>
      >[0];
      if (isNotifiedRef.current && !isNotifiedRef.current(body)) return;
      void refresh();
    };
    const onActivated = () => {
      isActive = true;
      start();
    };
    const onDeactivated = () => {
      isActive = false;
      stop();
    };
    const onVisibility = () => {
      if (isRunning()) start();
      else stop();
    };

    void refresh(true);
    if (isRunning()) void hold(run);
    client.on('app.activated', onActivated);
    client.on('app.deactivated', onDeactivated);
    client.on('app.willDestroy', onDeactivated);
    client.on(CHANGED_NOTIFICATION, onNotified);
    for (const event of events) client.on(event, onRefresh);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      restartLive.current = () => undefined;
      sequence.current++;
      client.off('app.activated', onActivated);
      client.off('app.deactivated', onDeactivated);
      client.off('app.willDestroy', onDeactivated);
      client.off(CHANGED_NOTIFICATION, onNotified);
      for (const event of events) client.off(event, onRefresh);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [client, refresh, events]);

  // A new loader (another ticket, another queue filter): its first list marks nothing new, and the held
  // call of the old one is dropped for one of the new.
  const firstLoad = useRef(load);
  useEffect(() => {
    if (firstLoad.current === load) return;
    firstLoad.current = load;
    known.current = null;
    cursor.current = null;
    restartLive.current();
  }, [load]);

  useEffect(() => {
    const timers = newTimers.current;
    return () => {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    };
  }, []);

  return {
    ...state,
    newIds,
    seen,
    refresh: () => refresh(state.approvals.length === 0),
    replace,
  };
}
