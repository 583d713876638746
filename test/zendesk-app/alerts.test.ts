import { describe, expect, it } from 'vitest';
import { claimAlert } from '../../zendesk-app/src/alerts/alert-claims';
import { AlertReplyError, parseAlertApproval } from '../../zendesk-app/src/alerts/alert-approval';
import { alertText } from '../../zendesk-app/src/alerts/alert-text';
import { alertTranslator } from '../../zendesk-app/src/alerts/alerts-i18n';
import { decidableBySoonest, mayDecide } from '../../zendesk-app/src/alerts/may-decide';
import { iconSymbolFor } from '../../zendesk-app/src/alerts/top-bar-icon';
import { NOW, buildApproval } from './support';

const HOUR = 3600_000;
const TEAM_LEADS = { groups: ['Team leads'], label: 'Needs a team lead' };
const policy = (extra: Record<string, unknown>) =>
  ({
    outcome: 'require_human',
    rule: 'big-refunds',
    dryRun: [],
    policyVersion: 1,
    editableFields: null,
    ...extra,
  }) as never;

/** A €500 refund on #9921 that needs a team lead, as the gateway returns it, read the alerts' way. */
const bigRefund = (extra: Record<string, unknown> = {}) =>
  parseAlertApproval(
    JSON.parse(
      JSON.stringify(
        buildApproval({
          details: { ticket_id: '9921', order_id: 'o-1', amount: 500, currency: 'EUR' },
          expiresAt: new Date(NOW + 24 * HOUR).toISOString(),
          policy: policy({
            deciders: TEAM_LEADS,
            escalation: { afterSeconds: 4 * 3600, deciders: { roles: ['admin'] } },
          }),
          escalatesAt: new Date(NOW + 4 * HOUR).toISOString(),
          ...extra,
        }),
      ),
    ),
  );

const ADA = { id: '381', role: 'agent', groups: ['Support'] };
const GRACE = { id: '382', role: 'agent', groups: ['Support', 'team leads'] };
const MARGARET = { id: '383', role: 'admin', groups: ['Support'] };

describe('Who the alerts tell', () => {
  it('When a rule names deciders, then only they may decide; an escalation widens them; an expired or decided approval is nobody’s', () => {
    const refund = bigRefund();
    expect(mayDecide(refund, GRACE, NOW)).toBe(true); // group names compare without case
    expect(mayDecide(refund, ADA, NOW)).toBe(false);
    expect(mayDecide(refund, MARGARET, NOW)).toBe(false);
    expect(mayDecide(refund, MARGARET, NOW + 4 * HOUR)).toBe(true); // escalated: admins too
    expect(mayDecide(refund, ADA, NOW + 4 * HOUR)).toBe(false);
    expect(mayDecide(refund, GRACE, NOW + 24 * HOUR)).toBe(false); // expired
    expect(mayDecide({ ...refund, status: 'approved' }, GRACE, NOW)).toBe(false);
    expect(mayDecide({ ...refund, policy: null }, ADA, NOW)).toBe(true); // no rule asked for authority
  });

  it('When an agent’s approval already counts toward a quorum, then they may not decide it again; another agent still may', () => {
    const vote = {
      agent: { id: '382', name: 'Grace Hopper', verified: false },
      at: new Date(NOW).toISOString(),
      note: null,
    };
    const refund = bigRefund({ quorum: { required: 2, approvals: [vote] } });
    expect(mayDecide(refund, GRACE, NOW)).toBe(false);
    expect(mayDecide({ ...refund, policy: null }, ADA, NOW)).toBe(true);
  });

  it('When several wait, then the ones an agent may decide come soonest expiry first', () => {
    const late = bigRefund({ expiresAt: new Date(NOW + 20 * HOUR).toISOString() });
    const soon = bigRefund({ expiresAt: new Date(NOW + 2 * HOUR).toISOString() });
    const adminOnly = bigRefund({ policy: policy({ deciders: { roles: ['admin'] } }) });
    const ids = decidableBySoonest([late, adminOnly, soon], GRACE, NOW).map((a) => a.approvalId);
    expect(ids).toEqual([soon.approvalId, late.approvalId]);
  });
});

describe('What the alert says', () => {
  it('When a €500 refund needs a team lead, then the notification names the action, money, ticket, who and the time left, in English and German', () => {
    const refund = bigRefund();
    const options = { defaultCurrency: null, now: NOW };
    expect(alertText(refund, { ...options, t: alertTranslator('en-US'), locale: 'en-US' })).toBe(
      'Refund order €500.00 on #9921 needs a team lead, 24h left',
    );
    expect(
      alertText(refund, { ...options, t: alertTranslator('de'), locale: 'de' }).replace(/[\u00a0\u202f]/g, ' '),
    ).toBe('Refund order 500,00 € auf #9921 needs a team lead, noch 24h');
  });

  it('When the rule has no label, then the deciders are named; once escalated, the widened ones; with no rule, it waits for the agent', () => {
    const refund = bigRefund({
      policy: policy({
        deciders: { groups: ['Team leads'] },
        escalation: { afterSeconds: 60, deciders: { roles: ['admin'] } },
      }),
    });
    const t = alertTranslator('en');
    expect(alertText(refund, { t, locale: 'en', defaultCurrency: null, now: NOW })).toBe(
      'Refund order €500.00 on #9921 needs a member of Team leads, 24h left',
    );
    expect(alertText(refund, { t, locale: 'en', defaultCurrency: null, now: NOW + 4 * HOUR })).toBe(
      'Refund order €500.00 on #9921 needs an admin or a member of Team leads, 20h left',
    );
    expect(alertText({ ...refund, policy: null }, { t, locale: 'en', defaultCurrency: null, now: NOW })).toBe(
      'Refund order €500.00 on #9921 needs your decision, 24h left',
    );
  });

  it('When the count changes, then the top bar icon shows its symbol: none, 1 to 9, then 9+', () => {
    expect([0, 1, 9, 10, 250].map(iconSymbolFor)).toEqual([
      'default',
      'count-1',
      'count-9',
      'count-9plus',
      'count-9plus',
    ]);
  });

  it('When the gateway answers something that is not an approval, then it is refused, naming the field', () => {
    expect(() => parseAlertApproval({ approvalId: 'apr_1', status: 'pending' })).toThrow(AlertReplyError);
    expect(() => parseAlertApproval({ ...bigRefund(), expiresAt: 'soon' })).toThrow(/expiresAt/);
    expect(() => parseAlertApproval(null)).toThrow(/body/);
  });
});

describe('One alert per approval and agent', () => {
  it('When two instances claim the same approval for the same agent at once, then one wins; another agent or approval has its own claim', async () => {
    localStorage.clear();
    const claims = await Promise.all([claimAlert('apr_a', '382'), claimAlert('apr_a', '382')]);
    expect(claims.sort()).toEqual([false, true]);
    expect(await claimAlert('apr_a', '382')).toBe(false); // a tab opened later does not alert again
    expect(await claimAlert('apr_a', '383')).toBe(true);
    expect(await claimAlert('apr_b', '382')).toBe(true);
  });
});
