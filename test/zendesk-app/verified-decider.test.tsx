import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DecisionSummary } from '../../zendesk-app/src/app/components/DecisionSummary';
import { createTranslator } from '../../zendesk-app/src/app/lib/i18n';
import { buildApproval, NOW } from './support';

const t = createTranslator('en');
const decided = (verified: boolean) =>
  buildApproval({
    status: 'approved',
    decidedAt: new Date(NOW - 60_000).toISOString(),
    decidedBy: { type: 'agent', id: '381', name: 'Ada Lovelace', verified },
  });

describe('Who decided, verified or not', () => {
  it('When the gateway verified the decider with Zendesk, then the summary says so; otherwise it says nothing of it', () => {
    const { unmount } = render(<DecisionSummary approval={decided(true)} now={NOW} locale="en-US" t={t} />);
    const label = screen.getByTestId('verified-decider');
    expect(label.textContent).toBe('Verified by Zendesk');
    expect(label.getAttribute('title')).toMatch(/token Zendesk signed/);
    expect(screen.getByTestId('decision-summary').textContent).toContain(
      'Approved by Ada Lovelace · Verified by Zendesk',
    );
    unmount();
    render(<DecisionSummary approval={decided(false)} now={NOW} locale="en-US" t={t} />);
    expect(screen.queryByTestId('verified-decider')).toBeNull();
    expect(screen.getByTestId('decision-summary').textContent).toContain('Approved by Ada Lovelace');
  });
});
