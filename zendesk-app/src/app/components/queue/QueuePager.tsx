import { useRef } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import type { Translate } from '../../lib/i18n';
import type { IPage } from './queue-model';

const Pager = styled.nav`
  display: flex;
  align-items: center;
  justify-content: flex-end;
  gap: ${({ theme }) => theme.space.sm};
  margin-top: ${({ theme }) => theme.space.sm};
`;

export interface IQueuePagerProps {
  page: IPage<unknown>;
  total: number;
  onPage: (page: number) => void;
  t: Translate;
}

/** "1–25 of 30" with Previous and Next; nothing when everything fits on one page. */
export function QueuePager({ page, total, onPage, t }: IQueuePagerProps) {
  const previous = useRef<HTMLButtonElement>(null);
  const next = useRef<HTMLButtonElement>(null);
  if (page.pageCount <= 1) return null;
  const go = (target: number) => {
    onPage(target);
    // [1] the button just pressed turns disabled on the first or last page: keep focus on the other one
    if (target === 0) next.current?.focus();
    else if (target === page.pageCount - 1) previous.current?.focus();
  };
  return (
    <Pager aria-label={t('queue_pages_label')}>
      <span>{t('queue_page', { from: page.from, to: page.to, total })}</span>
      <Button ref={previous} size="small" disabled={page.page === 0} onClick={() => go(page.page - 1)}>
        {t('queue_previous')}
      </Button>
      <Button ref={next} size="small" disabled={page.page >= page.pageCount - 1} onClick={() => go(page.page + 1)}>
        {t('queue_next')}
      </Button>
    </Pager>
  );
}
