import { forwardRef, useCallback, useImperativeHandle, useRef } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { getColor } from '@zendeskgarden/react-theming';
import { useLazyPart } from '../hooks/useLazyPart';
import type { Translate } from '../lib/i18n';
import { cardParts } from './approval-card/card-parts';

const Actions = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Step = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Question = styled.p`
  margin: 0 0 ${({ theme }) => theme.space.xs};
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.danger' })};
`;

/** `view`: the three decisions; `reject`: note + "Confirm reject"; `confirm-approve`: a high-risk check. */
export type DecideMode = 'view' | 'modify' | 'reject' | 'confirm-approve';
export type DecideKind = 'approve' | 'reject' | 'approve-modified';

export interface IDecideActionsProps {
  mode: DecideMode;
  /** The optional note under Approve is open. */
  isNoteOpen: boolean;
  note: string;
  isNoteMissing: boolean;
  isBusy: boolean;
  /** Expired (or another reason): nothing can be decided. */
  isDisabled: boolean;
  /** Approve alone is off (this agent's approval of a quorum is counted already); Reject stays. */
  isApproveDisabled?: boolean;
  /** Modify is offered (not on approvals that need several approvers: each approves the request as made). */
  canModify?: boolean;
  /** Approve with changes is possible (valid and changed). */
  canApproveModified: boolean;
  riskLabel: string | null;
  /** id of the text saying why the decisions are off (approval authority), for screen readers. */
  describedBy?: string | undefined;
  onNote: (note: string) => void;
  onOpenNote: () => void;
  /** Cancel or Escape in the optional note: it closes, empty. */
  onCloseNote: () => void;
  onMode: (mode: DecideMode) => void;
  onDecide: (kind: DecideKind) => void;
  t: Translate;
}

/** What the card moves focus to: the note, a step's confirm button, or the button that opened a step. */
export type DecideFocusTarget = 'note' | 'confirm' | 'approve' | 'reject' | 'modify' | 'add-note';

export interface IDecideActionsHandle {
  focus: (target: DecideFocusTarget) => void;
}

/**
 * Approve, Reject and Modify as Zendesk's sidebar guideline asks (no primary button on load). Reject opens
 * the note with one confirming step; Approve of a high or critical risk asks once, inline.
 */
export const DecideActions = forwardRef<IDecideActionsHandle, IDecideActionsProps>(
  function DecideActions(props, handle) {
    const { mode, isNoteOpen, note, isNoteMissing, isBusy, isDisabled, canApproveModified, riskLabel, t } = props;
    const { isApproveDisabled = false, canModify = true, describedBy } = props;
    const parts = useLazyPart(cardParts);
    const refs = {
      note: useRef<HTMLTextAreaElement | null>(null),
      confirm: useRef<HTMLButtonElement>(null),
      approve: useRef<HTMLButtonElement>(null),
      reject: useRef<HTMLButtonElement>(null),
      modify: useRef<HTMLButtonElement>(null),
      'add-note': useRef<HTMLButtonElement>(null),
    };
    // [1] the note's textarea is in the lazy chunk: asked for before it arrived, it takes focus when it mounts
    const isNoteFocusWanted = useRef(false);
    useImperativeHandle(handle, () => ({
      focus: (target) => {
        const element = refs[target].current;
        isNoteFocusWanted.current = target === 'note' && !element;
        element?.focus();
      },
    }));
    const noteRef = useCallback((element: HTMLTextAreaElement | null) => {
      refs.note.current = element;
      if (element && isNoteFocusWanted.current) {
        isNoteFocusWanted.current = false;
        element.focus();
      }
    }, []); // refs.note is the same ref object on every render
    const isOff = isBusy || isDisabled;
    const isRejecting = mode === 'reject';
    const isNoteShown = isRejecting || isNoteOpen || mode === 'modify';
    const isNoteInvalid = isRejecting && isNoteMissing && !note.trim();
    const isOptionalNoteOpen = mode === 'view' && isNoteOpen;
    const cancel = (
      <Button size="small" isBasic disabled={isBusy} onClick={() => props.onMode('view')}>
        {t('cancel')}
      </Button>
    );
    // Escape closes what is open: the optional note, or the step (reject, high-risk check, modify)
    const onEscape = () => (isOptionalNoteOpen ? props.onCloseNote() : props.onMode('view'));

    return (
      <>
        {isNoteShown && parts && (
          <Step>
            <parts.NoteField
              ref={noteRef}
              isRequired={isRejecting}
              value={note}
              isInvalid={isNoteInvalid}
              isDisabled={isDisabled}
              onChange={props.onNote}
              onEscape={onEscape}
              t={t}
            />
          </Step>
        )}
        {mode === 'confirm-approve' && (
          <Step>
            <Question>{t('confirm_approve_question', { risk: riskLabel ?? '' })}</Question>
          </Step>
        )}
        <Actions>
          {mode === 'view' && (
            <>
              <Button
                ref={refs.approve}
                aria-describedby={describedBy}
                size="small"
                disabled={isOff || isApproveDisabled}
                onClick={() => props.onDecide('approve')}
              >
                {isBusy ? t('saving') : t('approve')}
              </Button>
              <Button
                ref={refs.reject}
                aria-describedby={describedBy}
                size="small"
                isDanger
                disabled={isOff}
                onClick={() => props.onMode('reject')}
              >
                {t('reject')}
              </Button>
              {canModify && (
                <Button
                  ref={refs.modify}
                  aria-describedby={describedBy}
                  size="small"
                  isBasic
                  disabled={isOff}
                  onClick={() => props.onMode('modify')}
                >
                  {t('modify')}
                </Button>
              )}
              {isNoteOpen ? (
                <Button size="small" isLink disabled={isBusy} aria-label={t('cancel_note')} onClick={props.onCloseNote}>
                  {t('cancel')}
                </Button>
              ) : (
                <Button ref={refs['add-note']} size="small" isLink disabled={isOff} onClick={props.onOpenNote}>
                  {t('add_note')}
                </Button>
              )}
            </>
          )}
          {mode === 'reject' && (
            <>
              <Button
                ref={refs.confirm}
                aria-describedby={describedBy}
                size="small"
                isDanger
                disabled={isOff}
                onClick={() => props.onDecide('reject')}
              >
                {isBusy ? t('saving') : t('confirm_reject')}
              </Button>
              {cancel}
            </>
          )}
          {mode === 'confirm-approve' && (
            <>
              <Button
                ref={refs.confirm}
                aria-describedby={describedBy}
                size="small"
                disabled={isOff || isApproveDisabled}
                onClick={() => props.onDecide('approve')}
              >
                {isBusy ? t('saving') : t('confirm_approve')}
              </Button>
              {cancel}
            </>
          )}
          {mode === 'modify' && (
            <>
              <Button
                size="small"
                aria-describedby={describedBy}
                disabled={isOff || !canApproveModified}
                onClick={() => props.onDecide('approve-modified')}
              >
                {isBusy ? t('saving') : t('approve_with_changes')}
              </Button>
              {cancel}
            </>
          )}
        </Actions>
      </>
    );
  },
);
