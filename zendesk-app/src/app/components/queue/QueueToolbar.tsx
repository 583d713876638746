import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Checkbox, Field, Select } from '@zendeskgarden/react-forms';
import type { Translate } from '../../lib/i18n';
import { humanizeAction } from '../../lib/format';
import { RISK_FILTERS, type IQueueFilters, type RiskFilter } from './queue-model';

const Bar = styled.div`
  display: flex;
  flex-wrap: nowrap; /* [1] one line at nav-bar width, down to 768 px */
  align-items: flex-end;
  gap: ${({ theme }) => theme.space.sm};
  margin: ${({ theme }) => theme.space.sm} 0;
`;

const Filter = styled.div`
  flex: 0 1 200px;
  min-width: 120px;
`;

const CanDecide = styled.div`
  flex: 0 0 auto;
  padding-bottom: 6px; /* level with the compact selects */
  white-space: nowrap;
`;

const Spacer = styled.span`
  flex: 1 1 auto;
`;

/** `low` → `Low`, for labels built from the lower-case risk words. */
export const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export interface IQueueToolbarProps {
  filters: IQueueFilters;
  /** Actions to offer in the action filter (seen in unfiltered lists). */
  actions: readonly string[];
  onChange: (filters: IQueueFilters) => void;
  onRefresh: () => void;
  t: Translate;
}

/** The queue's filters (action, risk, "Can decide") and Refresh, on one line. */
export function QueueToolbar({ filters, actions, onChange, onRefresh, t }: IQueueToolbarProps) {
  return (
    <Bar>
      <Filter>
        <Field>
          <Field.Label>{t('filter_action')}</Field.Label>
          <Select isCompact value={filters.action} onChange={(e) => onChange({ ...filters, action: e.target.value })}>
            <option value="">{t('filter_all')}</option>
            {actions.map((name) => (
              <option key={name} value={name}>
                {humanizeAction(name)}
              </option>
            ))}
          </Select>
        </Field>
      </Filter>
      <Filter>
        <Field>
          <Field.Label>{t('filter_risk')}</Field.Label>
          <Select
            isCompact
            value={filters.risk}
            onChange={(e) => onChange({ ...filters, risk: e.target.value as RiskFilter | '' })}
          >
            <option value="">{t('filter_all_risks')}</option>
            {RISK_FILTERS.map((risk) => (
              <option key={risk} value={risk}>
                {capitalize(t(`risk_${risk}`))}
              </option>
            ))}
          </Select>
        </Field>
      </Filter>
      <CanDecide>
        <Field>
          <Checkbox
            checked={!!filters.canDecide}
            onChange={(e) => onChange({ ...filters, canDecide: e.target.checked })}
          >
            <Field.Label>{t('filter_can_decide')}</Field.Label>
          </Checkbox>
        </Field>
      </CanDecide>
      <Spacer />
      <Button size="small" onClick={onRefresh}>
        {t('refresh')}
      </Button>
    </Bar>
  );
}
