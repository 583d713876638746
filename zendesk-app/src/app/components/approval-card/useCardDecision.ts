import { useCallback, useRef, useState } from 'react';
import type { ApprovalView } from '../../api/approval-view';
import type { DecisionOutcome } from '../../api/gateway-client';
import { useDecision } from '../../hooks/useDecision';
import type { Translate } from '../../lib/i18n';
import type { DecideKind, DecideMode } from '../DecideActions';
import type { IModifyDraft } from './ModifyStep';
import type { CardFocusTarget } from './useCardFocus';

/** Risks for which Approve asks once more. */
const CONFIRMED_RISKS = ['high', 'critical'];

/** Where focus returns when a step closes: the button that opened it. */
const OPENER: Record<DecideMode, CardFocusTarget> = {
  view: 'approve',
  reject: 'reject',
  modify: 'modify',
  'confirm-approve': 'approve',
};

export interface ICardDecisionOptions {
  /** Expired, or this agent lacks the authority: nothing is sent. */
  isBlocked: boolean;
  focusSoon: (target: CardFocusTarget) => void;
  announce: (message: string) => void;
  onUpdated: (approval: ApprovalView) => void;
  /** After this agent's decision settled the approval (not a 409, not a counted quorum vote). */
  onSettled: (outcome: DecisionOutcome) => void;
  t: Translate;
}

/**
 * The decide flow of one card: the step (view, reject, modify, high-risk check), the note, the Modify
 * draft, and the call. Focus follows the step: the note to write, the question's confirm, or back to the
 * button that opened it.
 */
export function useCardDecision(approval: ApprovalView, options: ICardDecisionOptions) {
  const { isBlocked, focusSoon, announce, t } = options;
  const decision = useDecision(options.onUpdated);
  const [mode, setMode] = useState<DecideMode>('view');
  const [isNoteOpen, setIsNoteOpen] = useState(false);
  const [note, setNoteText] = useState('');
  const [isNoteMissing, setIsNoteMissing] = useState(false);
  const [draft, setDraft] = useState<IModifyDraft | null>(null);
  /** This agent's own call is what turned the card decided (not a refresh). */
  const isOwnDecision = useRef(false);

  function changeMode(next: DecideMode) {
    if (next === 'reject') focusSoon('note');
    else if (next === 'confirm-approve') focusSoon('confirm');
    else if (next === 'view') focusSoon(OPENER[mode]);
    // ModifyStep focuses its first field itself, and reports its draft once open
    if (next !== 'modify') setDraft(null);
    setIsNoteMissing(false);
    setMode(next);
  }

  function openNote() {
    focusSoon('note');
    setIsNoteOpen(true);
  }

  /** Cancel or Escape: the optional note closes empty and focus is back on "Add note". */
  function closeNote() {
    focusSoon('add-note');
    setIsNoteOpen(false);
    setNoteText('');
  }

  function setNote(text: string) {
    setNoteText(text);
    if (text.trim()) setIsNoteMissing(false);
  }

  async function decide(kind: DecideKind) {
    // [1] no call once expired (the expiry has decided), nor without authority (the gateway would refuse it)
    if (isBlocked || decision.isBusy) return;
    if (kind === 'approve' && mode === 'view' && CONFIRMED_RISKS.includes(approval.riskLevel ?? '')) {
      changeMode('confirm-approve');
      return;
    }
    if (kind === 'reject' && !note.trim()) {
      setIsNoteMissing(true);
      focusSoon('note');
      announce(t('note_required'));
      return;
    }
    if (kind === 'approve-modified' && !draft?.canApprove) return;
    isOwnDecision.current = true;
    const outcome = await decision.submit(approval.approvalId, {
      decision: kind === 'reject' ? 'reject' : 'approve',
      note,
      ...(kind === 'approve-modified' && draft ? { modifiedDetails: draft.details } : {}),
    });
    if (!outcome) {
      isOwnDecision.current = false;
      return;
    }
    setMode('view');
    setDraft(null);
    if (outcome.kind === 'decided' && outcome.approval.status !== 'pending') options.onSettled(outcome);
    else focusSoon('card'); // a 409 (the card says who decided) or a counted quorum vote
  }

  const onDraft = useCallback((next: IModifyDraft) => setDraft(next), []);

  return {
    decision,
    mode,
    isNoteOpen,
    note,
    isNoteMissing,
    draft,
    isOwnDecision,
    changeMode,
    openNote,
    closeNote,
    setNote,
    decide,
    onDraft,
  };
}
