import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApprovalView } from '../api/approval-view';
import { GatewayError } from '../api/gateway-client';
import { useClient } from './useClient';

/** How often a visible, active app re-fetches (ms). */
export const POLL_INTERVAL_MS = 30_000;

/** Ticket events after which the sidebar re-fetches. */
export const TICKET_EVENTS = ['ticket.updated', 'ticket.submit.done', 'ticket.statusCategory.changed'] as const;

export type ApprovalsState =
  | { status: 'loading'; approvals: ApprovalView[]; error: null }
  | { status: 'ready'; approvals: ApprovalView[]; error: GatewayError | null }
  | { status: 'error'; approvals: ApprovalView[]; error: GatewayError };

const toGatewayError = (err: unknown) =>
  err instanceof GatewayError ? err : new GatewayError('invalid-reply', err instanceof Error ? err.message : 'Error');

/**
 * Loads approvals and keeps them fresh without a reload: on `app.activated`, on the given ZAF events,
 * when the page becomes visible again, and on a modest poll while visible and active. Everything is
 * cleaned up on `app.deactivated` (poll paused), `app.willDestroy` and unmount.
 */
const NO_EVENTS: readonly string[] = [];

export function useApprovals(load: () => Promise<ApprovalView[]>, events: readonly string[] = NO_EVENTS) {
  const { client } = useClient();
  const [state, setState] = useState<ApprovalsState>({ status: 'loading', approvals: [], error: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  const sequence = useRef(0);

  const refresh = useCallback(async (isInitial = false) => {
    const id = ++sequence.current;
    if (isInitial) setState({ status: 'loading', approvals: [], error: null });
    try {
      const approvals = await loadRef.current();
      if (id === sequence.current) setState({ status: 'ready', approvals, error: null });
    } catch (err) {
      if (id !== sequence.current) return;
      const error = toGatewayError(err);
      // [1] a failed background refresh keeps the cards and shows a notice instead of the error page
      setState((prev) =>
        prev.approvals.length > 0
          ? { status: 'ready', approvals: prev.approvals, error }
          : { status: 'error', approvals: [], error },
      );
    }
  }, []);

  /** Puts a fresher copy of one approval into the list (after a decision or a 409). */
  const replace = useCallback((approval: ApprovalView) => {
    setState((prev) => ({
      ...prev,
      approvals: prev.approvals.map((a) => (a.approvalId === approval.approvalId ? approval : a)),
    }));
  }, []);

  useEffect(() => {
    let isActive = true;
    let timer: ReturnType<typeof setInterval> | null = null;
    const isVisible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';
    const stopPoll = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const startPoll = () => {
      stopPoll();
      if (isActive && isVisible()) timer = setInterval(() => void refresh(), POLL_INTERVAL_MS);
    };
    const onRefresh = () => void refresh();
    const onActivated = () => {
      isActive = true;
      void refresh();
      startPoll();
    };
    const onDeactivated = () => {
      isActive = false;
      stopPoll();
    };
    const onVisibility = () => {
      if (isVisible() && isActive) {
        void refresh();
        startPoll();
      } else stopPoll();
    };

    void refresh(true);
    startPoll();
    client.on('app.activated', onActivated);
    client.on('app.deactivated', onDeactivated);
    client.on('app.willDestroy', onDeactivated);
    for (const event of events) client.on(event, onRefresh);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopPoll();
      sequence.current++;
      client.off('app.activated', onActivated);
      client.off('app.deactivated', onDeactivated);
      client.off('app.willDestroy', onDeactivated);
      for (const event of events) client.off(event, onRefresh);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [client, refresh, events]);

  return { ...state, refresh: () => refresh(state.approvals.length === 0), replace };
}
