import { lazyPart } from '../../hooks/useLazyPart';

/**
 * The parts of a card that only a click brings (the note's textarea, the Modify form and its diff, an
 * expanded history entry's decision, the notices after a decision) in a chunk of their own: with Garden's
 * forms they are about 9 kB of gzip the first card does not show. A card fetches the chunk when it opens
 * (useLazyPart), so it has arrived before anyone clicks.
 */
export const cardParts = lazyPart(() => import('./card-parts.chunk'));
