import { Tag } from '@zendeskgarden/react-tags';
import type { ApprovalView } from '../../api/approval-view';
import { humanizeAction } from '../../lib/format';
import type { Translate } from '../../lib/i18n';
import { Badges, Header, STATUS_HUES } from './card.styles';

export interface IPendingHeaderProps {
  approval: ApprovalView;
  titleId: string;
  isExpired: boolean;
  isNew: boolean;
  t: Translate;
}

/** A pending card's heading: the humanised action, and the New and status tags beside it. */
export function PendingHeader({ approval, titleId, isExpired, isNew, t }: IPendingHeaderProps) {
  return (
    <Header>
      <h2 id={titleId}>{humanizeAction(approval.action)}</h2>
      <Badges>
        {isNew && (
          <Tag hue="blue" isPill size="small" data-new-tag>
            {t('new_badge')}
          </Tag>
        )}
        <Tag hue={STATUS_HUES[approval.status]} isPill size="small">
          {isExpired ? t('expired') : t(`status_${approval.status}`)}
        </Tag>
      </Badges>
    </Header>
  );
}
